"""Inflate every stream of a PDF under a cap before any extractor sees the file.

pdfminer (pdfplumber) and PDFium decode a stream wherever the document *uses* it, whatever its dictionary claims:
a content stream marked ``/Subtype /Image`` is still inflated as page content, and pdfminer applies Flate, LZW,
ASCII85, ASCIIHex and RunLength with no cap at all, also ahead of a filter it does not decode (``[/FlateDecode
/DCTDecode]``). So :func:`check_streams` decodes **every** stream, images included, with capped decoders of its own:

- each stage of a stream's filter chain stops as soon as its output passes ``max_stream_bytes`` (the output is
  counted, at most one stage's capped output is held at a time), so a bomb costs at most the cap, never its size;
- the chain is followed up to the first filter no text extractor decodes (DCT, JPX, JBIG2, Crypt, unknown names);
  a CCITT stream is sized by its declared Columns × Rows;
- what the streams inflate to, together, is held under ``max_decompressed_bytes``.

The data comes from qpdf already decrypted (``read_raw_bytes``), so encrypted bombs are caught the same way.
"""

from __future__ import annotations

import binascii
import re
import zlib

from briefreel.parsers.errors import LimitExceeded
from briefreel.parsers.limits import Limits, human_bytes

_CHUNK = 1 << 16  # compressed bytes fed to zlib per call: progress is counted, never a whole bomb at once
_STOP = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/Crypt"}  # image codecs: no extractor inflates them


class _Over(Exception):
    """A stage's output passed the cap."""


def check_streams(pdf, limits: Limits) -> int:
    """Decode every stream of the open ``pikepdf.Pdf`` under the caps; return the total decoded size.

    Raises :class:`LimitExceeded` (``decompressed size: …``) when one stream inflates past ``max_stream_bytes`` or
    all of them past ``max_decompressed_bytes``."""
    import pikepdf

    cap = int(limits.max_stream_bytes)
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        try:
            raw = obj.read_raw_bytes()
            filters, parms = _chain(obj)
        except MemoryError:
            raise LimitExceeded("memory: decompressing the PDF's streams ran out of its memory budget") from None
        except (pikepdf.PdfError, ValueError, TypeError, AttributeError):
            continue  # unreadable stream: the extractors cannot read it either
        try:
            total += decoded_size(raw, filters, parms, cap)
        except _Over:
            raise LimitExceeded(f"decompressed size: a stream inflates past {human_bytes(cap)} "
                                "(Limits.max_stream_bytes)") from None
        except MemoryError:
            raise LimitExceeded("memory: decompressing the PDF's streams ran out of its memory budget") from None
        raw = None
        if total > limits.max_decompressed_bytes:
            raise LimitExceeded(
                f"decompressed size: the streams inflate past {human_bytes(limits.max_decompressed_bytes)} "
                "(Limits.max_decompressed_bytes)")
    return total


def _chain(obj) -> tuple[list[str], list]:
    import pikepdf

    f = obj.get("/Filter")
    p = obj.get("/DecodeParms", obj.get("/DP"))
    filters = [str(x) for x in f] if isinstance(f, pikepdf.Array) else ([str(f)] if f is not None else [])
    parms = list(p) if isinstance(p, pikepdf.Array) else [p] * len(filters)
    parms += [None] * (len(filters) - len(parms))
    # A CCITT image's size can come from the stream's own /Height too.
    height = obj.get("/Height")
    parms = [_merge_height(q, height) for q in parms]
    return filters, parms


def _merge_height(parm, height) -> dict:
    d = {}
    try:
        if parm is not None:
            d = {str(k): v for k, v in parm.items()}
    except (AttributeError, TypeError, ValueError):
        d = {}
    if height is not None and "/Rows" not in d:
        d["/Rows"] = height
    return d


def decoded_size(data: bytes, filters: list[str], parms: list, cap: int) -> int:
    """How many bytes ``data`` decodes to through ``filters`` (as far as an extractor would decode it); raises
    ``_Over`` as soon as any stage passes ``cap`` bytes."""
    for name, parm in zip(filters, parms):
        if name in ("/FlateDecode", "/Fl"):
            data = _inflate(data, cap)
        elif name in ("/LZWDecode", "/LZW"):
            data = _lzw(data, cap)
        elif name in ("/ASCIIHexDecode", "/AHx"):
            data = _ascii_hex(data)
        elif name in ("/ASCII85Decode", "/A85"):
            data = _ascii85(data, cap)
        elif name in ("/RunLengthDecode", "/RL"):
            data = _run_length(data, cap)
        elif name in ("/CCITTFaxDecode", "/CCF"):
            size = (_int(parm, "/Columns", 1728) + 7) // 8 * _int(parm, "/Rows", 0)
            if size > cap:
                raise _Over()
            return max(size, len(data))
        else:  # an image codec or a name nobody decodes: the chain ends here for every extractor
            return len(data)
        if len(data) > cap:
            raise _Over()
    return len(data)


def _int(parm, key: str, default: int) -> int:
    try:
        value = parm.get(key) if parm else None
        return default if value is None else int(value)
    except (TypeError, ValueError, AttributeError):
        return default


def _inflate(data: bytes, cap: int) -> bytes:
    """zlib/deflate, streamed and capped; a corrupt tail ends the output where it breaks (as pdfminer does)."""
    d = zlib.decompressobj()
    out = bytearray()
    view = memoryview(data)
    try:
        for i in range(0, len(view), _CHUNK):
            buf = view[i:i + _CHUNK]
            while buf:
                out += d.decompress(buf, cap + 1 - len(out))
                if len(out) > cap:
                    raise _Over()
                if d.eof:
                    return bytes(out)
                buf = d.unconsumed_tail
        while not d.eof:  # output still buffered inside zlib
            more = d.decompress(b"", cap + 1 - len(out))
            if not more:
                break
            out += more
            if len(out) > cap:
                raise _Over()
    except zlib.error:
        pass
    return bytes(out)


def _lzw(data: bytes, cap: int) -> bytes:
    """LZW as pdfminer decodes it (MSB first, 9-12 bit codes, 256 clear; it reads on past 257), capped."""
    out = bytearray()
    table: list[bytes] = [bytes((i,)) for i in range(256)] + [b"", b""]
    width, prev = 9, b""
    bitbuf = nbits = 0
    for byte in data:
        bitbuf = (bitbuf << 8) | byte
        nbits += 8
        while nbits >= width:
            nbits -= width
            code = (bitbuf >> nbits) & ((1 << width) - 1)
            bitbuf &= (1 << nbits) - 1
            if code == 256:
                del table[258:]
                width, prev = 9, b""
                continue
            if code == 257:
                continue
            if not prev:
                if code >= len(table):
                    return bytes(out)
                prev = entry = table[code]
            else:
                if code < len(table):
                    entry = table[code]
                    table.append(prev + entry[:1])
                elif code == len(table):
                    entry = prev + prev[:1]
                    table.append(entry)
                else:
                    return bytes(out)  # a broken stream: pdfminer stops there too
                n = len(table)
                width = 10 if n == 511 else 11 if n == 1023 else 12 if n == 2047 else width
                prev = entry
            out += entry
            if len(out) > cap:
                raise _Over()
    return bytes(out)


def _ascii_hex(data: bytes) -> bytes:
    hexits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">", 1)[0])
    if len(hexits) % 2:
        hexits += b"0"
    return binascii.unhexlify(hexits)


def _ascii85(data: bytes, cap: int) -> bytes:
    body = data.split(b"~>", 1)[0]
    if body.startswith(b"<~"):
        body = body[2:]
    body = re.sub(rb"\s", b"", body)
    # 'z' is four zero bytes from one character: size it before decoding anything
    if body.count(b"z") * 4 + len(body) * 4 // 5 + 4 > cap:
        raise _Over()
    try:
        import base64

        return base64.a85decode(body)
    except ValueError:
        return b""


def _run_length(data: bytes, cap: int) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        length = data[i]
        if length == 128:
            break
        if length < 128:
            out += data[i + 1:i + 2 + length]
            i += 2 + length
        else:
            if i + 1 >= n:
                break
            out += data[i + 1:i + 2] * (257 - length)
            i += 2
        if len(out) > cap:
            raise _Over()
    return bytes(out)
