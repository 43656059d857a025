"""Open a PDF with pikepdf (qpdf), decrypt it in memory, check it against the limits, read its metadata.

The result is the document's bytes saved *unencrypted* into memory (never to disk), which pdfplumber then reads:
qpdf opens more encryption variants than pdfminer does (R6 owner passwords with 127-byte /O /U, indirect /Encrypt
entries, crypt-filter mixes) and repairs broken cross-reference tables on the way.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field

from briefreel.parsers.errors import DamagedPDF, LimitExceeded, PasswordRequired, UnsupportedEncryption, WrongPassword
from briefreel.parsers.limits import Limits, human_bytes
from briefreel.parsers.passwords import candidates
from briefreel.parsers.streams import check_streams

INFO_KEYS = {
    "/Title": "title", "/Author": "author", "/Subject": "subject", "/Keywords": "keywords",
    "/Creator": "creator", "/Producer": "producer", "/CreationDate": "created", "/ModDate": "modified",
}


@dataclass
class Decrypted:
    data: bytes  # the whole document, unencrypted
    page_count: int
    encryption: dict | None
    metadata: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    unembedded_cid_fonts: bool = False  # PDFium drops glyphs of these: extract such files with pdfplumber only


def apply_qpdf_limits(limits: Limits) -> None:
    """Cap qpdf's decoders (process-wide: the sandboxed child sets them once)."""
    import pikepdf

    cap = min(int(limits.max_stream_bytes), 0xFFFFFFFF)  # qpdf takes 32-bit limits
    pikepdf.settings.set_qpdf_limits(
        flate_max_memory=cap, run_length_max_memory=cap, png_max_memory=cap, tiff_max_memory=cap,
        dct_max_memory=cap,
    )


def _sniff(data: bytes) -> None:
    if not data:
        raise DamagedPDF("the file is empty")
    if b"%PDF-" not in data[:1024]:
        raise DamagedPDF("not a PDF: no %PDF header in the first 1024 bytes")


def _is_pubsec(data: bytes) -> bool:
    return bool(re.search(rb"/Filter\s*/Adobe\.PubSec|/SubFilter\s*/adbe\.pkcs7\.s[345]", data[-65536:])) or bool(
        re.search(rb"/Filter\s*/Adobe\.PubSec", data))


def _clean(msg: str) -> str:
    """qpdf messages start with the stream's repr ("<_io.BytesIO object at 0x..>"): keep only the reason."""
    msg = re.sub(r"^.*?BytesIO object at 0x[0-9a-f]+>\s*", "", str(msg))
    msg = re.sub(r"^stream\s*", "", msg)
    return msg.strip().strip(":").strip()[:200]


def open_pdf(data: bytes, password: str | bytes | None, limits: Limits):
    """Return ``(pikepdf.Pdf, how)``; ``how`` is "user", "owner" or "empty" (None when not encrypted)."""
    import pikepdf

    _sniff(data)
    tried_real_password = False
    for kind, pw in candidates(password):
        tried_real_password |= kind != "empty"
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="A password was provided")
                pdf = pikepdf.open(io.BytesIO(data), password=pw, suppress_warnings=True)
        except pikepdf.PasswordError:  # NOT a PdfError subclass
            continue
        except MemoryError:
            raise LimitExceeded("memory: opening the PDF ran out of its memory budget") from None
        except pikepdf.PdfError as exc:
            reason = _clean(str(exc))
            if "unsupported encryption filter" in reason or _is_pubsec(data):
                raise UnsupportedEncryption() from None
            if "memory" in reason.lower() and "limit" in reason.lower():
                raise LimitExceeded(f"decompressed size: a stream inflates past {human_bytes(limits.max_stream_bytes)}") from None
            raise DamagedPDF(f"the file is damaged or is not a PDF ({reason})" if reason else None) from None
        except (OSError, ValueError, RuntimeError, RecursionError) as exc:
            raise DamagedPDF(f"the file is damaged or is not a PDF ({type(exc).__name__})") from None
        if not pdf.is_encrypted:
            return pdf, None
        if kind == "empty":
            return pdf, "empty"
        if pdf.owner_password_matched and not pdf.user_password_matched:
            return pdf, "owner"
        return pdf, "user"
    if tried_real_password:
        raise WrongPassword()
    raise PasswordRequired()


def encryption_info(pdf, how: str | None) -> dict | None:
    """Handler facts for the Brief. Only attributes are read: EncryptionInfo's repr shows the password and key."""
    if not pdf.is_encrypted:
        return None
    enc = pdf.encryption
    R, V, bits = int(enc.R), int(enc.V), int(enc.bits)
    stream = str(enc.stream_method).rsplit(".", 1)[-1].lower()
    if V < 4 or stream == "rc4":
        method = f"RC4-{bits if V > 1 else 40}"
    elif stream in ("aes", "aesv2"):
        method = "AES-128"
    elif stream == "aesv3" or V >= 5:
        method = "AES-256"
    else:
        method = stream
    return {"handler": "Standard", "R": R, "V": V, "bits": bits, "method": method, "opened_with": how}


def _date(raw: str) -> str:
    """'D:20260301093000+08'00'' -> '2026-03-01T09:30:00+08:00'; anything unparsable comes back as given."""
    try:
        from pikepdf.models.metadata import decode_pdf_date

        return decode_pdf_date(raw).isoformat()
    except Exception:  # noqa: BLE001: a date we cannot read stays as the file wrote it
        return raw


def metadata(pdf) -> dict[str, str]:
    out = {v: "" for v in INFO_KEYS.values()}
    try:
        info = pdf.docinfo
        for key, name in INFO_KEYS.items():
            if key in info:
                value = str(info[key]).replace("\x00", "").strip()
                out[name] = _date(value) if name in ("created", "modified") and value else value
    except Exception:  # noqa: BLE001: a broken Info dictionary is not worth failing the brief for
        pass
    if not out["title"] or not out["author"]:
        try:
            xmp = pdf.open_metadata()
            out["title"] = out["title"] or str(xmp.get("dc:title", "") or "")
            creators = xmp.get("dc:creator")
            if not out["author"] and creators:
                out["author"] = ", ".join(creators) if isinstance(creators, list) else str(creators)
        except Exception:  # noqa: BLE001
            pass
    return out


def has_unembedded_cid_font(pdf) -> bool:
    """A Type0 (CID) font whose descendant has no embedded font file, e.g. STSong-Light with UniGB-UCS2-H."""
    import pikepdf

    for obj in pdf.objects:
        try:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Subtype") != pikepdf.Name.Type0:
                continue
            for desc in obj.get("/DescendantFonts", []):
                fd = desc.get("/FontDescriptor")
                if fd is None or not any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    return True
        except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
            continue
    return False


def decrypt(data: bytes, password: str | bytes | None = None, limits: Limits | None = None) -> Decrypted:
    """Open, decrypt, check and re-save ``data`` unencrypted, in memory."""
    import pikepdf

    limits = limits or Limits()
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(f"file size: {human_bytes(len(data))} is over {human_bytes(limits.max_file_bytes)} "
                            "(Limits.max_file_bytes)")
    apply_qpdf_limits(limits)
    pdf, how = open_pdf(data, password, limits)
    with pdf:
        try:
            n = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise DamagedPDF(f"the file is damaged: its page tree cannot be read ({_clean(str(exc))})") from None
        warnings = [_clean(w) for w in pdf.get_warnings()][:20]
        if n == 0:
            raise DamagedPDF("the file is damaged or has no pages" + (f" ({warnings[0]})" if warnings else ""))
        if n > limits.max_pages:
            raise LimitExceeded(f"pages: {n} pages is over {limits.max_pages} (Limits.max_pages)")
        check_streams(pdf, limits)
        cid = has_unembedded_cid_font(pdf)
        info = encryption_info(pdf, how)
        meta = metadata(pdf)
        out = io.BytesIO()
        try:
            pdf.save(out)  # encryption=None: written unencrypted, streams left compressed
        except pikepdf.DataDecodingError as exc:
            raise LimitExceeded(f"decompressed size: {_clean(str(exc))}") from None
        except pikepdf.PdfError as exc:
            raise DamagedPDF(f"the file is damaged ({_clean(str(exc))})") from None
        data = out.getvalue()
        rotated = [i for i, page in enumerate(pdf.pages) if int(page.obj.get("/Rotate", 0) or 0) % 360]
        if rotated:
            data = _derotate_upright(pdf, data, rotated)
    return Decrypted(data, n, info, meta, warnings, cid)


def _derotate_upright(pdf, data: bytes, rotated: list[int]) -> bytes:
    """Drop /Rotate from pages whose text is upright on the unrotated page (a page someone turned in a viewer).

    Text extractors read such a page sideways; pages drawn sideways and turned upright by /Rotate keep it.
    """
    import math

    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw
    except ImportError:
        return data
    upright = []
    doc = pdfium.PdfDocument(data)
    try:
        for i in rotated:
            tp = doc[i].get_textpage()
            n = min(raw.FPDFText_CountChars(tp.raw), 2000)
            angles = [raw.FPDFText_GetCharAngle(tp.raw, k) for k in range(n)]
            tp.close()
            flat = sum(1 for a in angles if a >= 0 and min(a, 2 * math.pi - a) < 0.1)
            if angles and flat * 2 > len(angles):
                upright.append(i)
    finally:
        doc.close()
    if not upright:
        return data
    for i in upright:
        del pdf.pages[i].obj["/Rotate"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
