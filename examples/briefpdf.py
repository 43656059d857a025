"""Write brief-like PDFs (and encrypt them) for examples, tests and labelled fixtures.

A small builder on reportlab. Add blocks in order, then ``build()`` returns the PDF's bytes::

    from examples.briefpdf import BriefPDF, encrypt

    doc = BriefPDF(title="First Light", author="Aurora Coffee")      # metadata goes into the PDF's Info
    doc.heading("First Light: 30 s TV spot")                          # level 1 = title size; 2, 3 smaller
    doc.fields({"Client": "Aurora Coffee", "Length": "30 seconds"})   # "Client: Aurora Coffee" lines
    doc.paragraph("Background. Aurora is a small-batch roaster ...")
    doc.table([["Shot", "Size", "Description"], ["1", "WS", "A long, wrapping ..."]], ruled=True)
    doc.table(rows, ruled=False)                                      # no rules: columns by position only
    doc.page_break()
    doc.screenplay([("scene", "INT. KITCHEN - DAY"), ("action", "Maya pours."),
                    ("character", "MAYA"), ("dialogue", "Finally.")])
    pdf = doc.build()
    locked = encrypt(pdf, user="reel-2026", owner="owner-pw", R=6)   # R2 RC4-40 .. R6 AES-256

Chinese text works everywhere: when a document contains CJK characters, Noto Sans SC (from the
``pylopdf-fonts-zh-cn`` package) is subset to the characters used, converted to TrueType outlines (reportlab embeds
only TrueType) and embedded with a ToUnicode map, so the text extracts again. Latin-only documents use Helvetica.

Output is deterministic for the same input (reportlab's invariant mode: fixed dates and document ID). Encryption
adds random salts, so encrypted bytes differ run to run while decrypting to the same content.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable
from xml.sax.saxutils import escape

__all__ = ["BriefPDF", "encrypt", "encrypt_with_certificate", "has_cjk", "A4", "LETTER", "landscape"]

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")

# Screenplay layout (US Letter, Courier 12, the indents screenwriting software uses), in points from the page edge.
SCREENPLAY_INDENTS = {
    "scene": 1.5 * inch,  # INT./EXT. scene heading
    "action": 1.5 * inch,
    "character": 3.7 * inch,
    "parenthetical": 3.1 * inch,
    "dialogue": 2.5 * inch,
    "transition": 6.0 * inch,  # right-aligned to 7.5 in
}
_FRAME_PADDING = 6  # reportlab frames pad their content by 6 pt
_SCREENPLAY_WIDTHS = {"dialogue": 3.5 * inch, "parenthetical": 2.0 * inch}


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


# -- CJK font: subset the OpenType (CFF) font and convert it to TrueType so reportlab can embed it ------------------

@functools.lru_cache(maxsize=16)
def _cjk_font(chars: str, serif: bool = False) -> str:
    """Register (once per character set) a TrueType subset of Noto Sans/Serif SC; returns the reportlab font name."""
    import pylopdf_fonts_zh_cn as zh
    from fontTools import subset
    from fontTools.ttLib import TTFont as FTFont

    from briefreel.render.exports.pdffont import to_truetype

    digest = hashlib.sha1(chars.encode("utf-8")).hexdigest()[:10]
    name = f"NotoS{'erif' if serif else 'ans'}SC-{digest}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    source = zh.serif_path() if serif else zh.sans_path()
    font = FTFont(str(source), lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    sub = subset.Subsetter(options)
    sub.populate(unicodes={ord(c) for c in chars})
    sub.subset(font)
    to_truetype(font)
    # reportlab caches faces by their PostScript name: give every subset its own, or a second document in this
    # process would be drawn with the first document's subset (and lose the glyphs that one lacks).
    for rec in font["name"].names:
        if rec.nameID in (1, 3, 4, 6):
            rec.string = name
    buf = io.BytesIO()
    font.save(buf)
    buf.seek(0)
    pdfmetrics.registerFont(TTFont(name, buf))
    return name


# -- the builder ------------------------------------------------------------------------------------------------------

@dataclass
class _Block:
    kind: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


class _ImageOnly(Flowable):
    """A full-width bitmap: a 'scanned' page with no text layer."""

    def __init__(self, image, width):
        super().__init__()
        self.image, self.width = image, width
        self.height = width * image.height / image.width

    def wrap(self, aw, ah):
        return self.width, self.height

    def draw(self):
        from reportlab.lib.utils import ImageReader

        self.canv.drawImage(ImageReader(self.image), 0, 0, self.width, self.height)


class BriefPDF:
    """Collects blocks (headings, paragraphs, tables, screenplay elements, pages) and renders them with reportlab.

    Args:
        title, author, subject, keywords, creator: document metadata (the PDF Info dictionary).
        pagesize: ``A4`` (default), ``LETTER`` or ``landscape(A4)``...
        margins: page margins in points (left, top, right, bottom); default 20 mm all round.
        font_size: body text size in points (headings scale from it).
        page_numbers: print "n" at the top right of every page after the first (screenplay style) when True.
        serif: use the serif CJK face (Noto Serif SC) for CJK text.
        created, modified: ISO dates for the Info dictionary ("2026-03-02T09:30:00+08:00"); default: reportlab's
            fixed invariant date.
    """

    def __init__(self, title: str = "", *, author: str = "", subject: str = "", keywords: str | Sequence[str] = "",
                 creator: str = "briefreel examples", pagesize=A4, margins: tuple[float, float, float, float] | None = None,
                 font_size: float = 10.5, page_numbers: bool = False, serif: bool = False,
                 created: str | None = None, modified: str | None = None):
        self.title, self.author, self.subject, self.creator = title, author, subject, creator
        self.keywords = ", ".join(keywords) if isinstance(keywords, (list, tuple)) else keywords
        self.pagesize = pagesize
        self.margins = margins or (20 * mm, 20 * mm, 20 * mm, 20 * mm)
        self.font_size = font_size
        self.page_numbers = page_numbers
        self.serif = serif
        self.created, self.modified = created, modified
        self.blocks: list[_Block] = []

    # -- blocks (each returns self, so calls can chain) --------------------------------------------------------------

    def heading(self, text: str, level: int = 1) -> "BriefPDF":
        """A bold heading; level 1 is the document title size, 2 a section, 3 a sub-section."""
        self.blocks.append(_Block("heading", (text, level)))
        return self

    def paragraph(self, text: str, *, bold: bool = False, size: float | None = None, indent: float = 0,
                  space_after: float | None = None) -> "BriefPDF":
        """A wrapped paragraph. Blank lines in ``text`` start new paragraphs; single newlines are line breaks."""
        for para in re.split(r"\n\s*\n", text.strip("\n")):
            self.blocks.append(_Block("paragraph", (para,), dict(bold=bold, size=size, indent=indent,
                                                                   space_after=space_after)))
        return self

    def fields(self, items: dict[str, str] | Iterable[tuple[str, str]], sep: str | None = None) -> "BriefPDF":
        """'Key: value' lines ("Client: Aurora"), the key in bold. ``sep`` defaults to ': ' (Latin) or '：' (CJK)."""
        pairs = list(items.items()) if isinstance(items, dict) else list(items)
        for key, value in pairs:
            s = sep if sep is not None else ("：" if has_cjk(key) else ": ")
            self.blocks.append(_Block("field", (key, value, s)))
        return self

    def bullets(self, items: Iterable[str], numbered: bool = False) -> "BriefPDF":
        """A bulleted (or numbered "1." "2." ...) list; each item wraps under itself."""
        for i, item in enumerate(items, 1):
            self.blocks.append(_Block("bullet", (f"{i}." if numbered else "•", item)))
        return self

    def table(self, rows: Sequence[Sequence[str]], *, ruled: bool = True, header: bool = True,
              col_widths: Sequence[float] | None = None, repeat_header: bool = True, font_size: float | None = None,
              zebra: bool = False) -> "BriefPDF":
        """A table whose cells wrap to the column width.

        ``ruled=True`` draws a full grid (pdfplumber finds it by its lines); ``ruled=False`` draws no lines at all
        (columns only by position: the hard case). ``col_widths`` are fractions of the text width (they are scaled
        to sum to 1) or None for widths from the content. A table longer than a page continues on the next page,
        repeating its header row when ``repeat_header`` is True.
        """
        self.blocks.append(_Block("table", (tuple(tuple(str(c) for c in r) for r in rows),),
                                  dict(ruled=ruled, header=header, col_widths=col_widths,
                                       repeat_header=repeat_header, font_size=font_size, zebra=zebra)))
        return self

    def screenplay(self, elements: Iterable[tuple[str, str]]) -> "BriefPDF":
        """Screenplay elements in Courier 12 at the standard indents (use ``pagesize=LETTER``, margins 1 in).

        Kinds: ``scene`` (INT./EXT. heading, upper-cased), ``action``, ``character`` (upper-cased),
        ``parenthetical``, ``dialogue``, ``transition`` (right-aligned, upper-cased), ``page_break``.
        """
        for kind, text in elements:
            if kind not in SCREENPLAY_INDENTS and kind != "page_break":
                raise ValueError(f"unknown screenplay element {kind!r}")
            self.blocks.append(_Block("screenplay", (kind, text)))
        return self

    def spacer(self, height: float = 12) -> "BriefPDF":
        self.blocks.append(_Block("spacer", (height,)))
        return self

    def page_break(self) -> "BriefPDF":
        self.blocks.append(_Block("page_break", ()))
        return self

    def scanned_page(self, text: str, width_px: int = 1200) -> "BriefPDF":
        """A page holding only a picture of ``text`` (no text layer), like a scanned brief."""
        self.blocks.append(_Block("scan", (text, width_px)))
        return self

    # -- rendering ---------------------------------------------------------------------------------------------------

    def _all_text(self) -> str:
        parts = [self.title]
        for b in self.blocks:
            for a in b.args:
                if isinstance(a, str):
                    parts.append(a)
                elif isinstance(a, tuple):
                    parts.extend(c for r in a for c in r)
        return "".join(parts)

    def _fonts(self) -> tuple[str, str]:
        text = self._all_text()
        if has_cjk(text):
            chars = "".join(sorted(set(text) | set(" •.:0123456789")))
            name = _cjk_font(chars, self.serif)
            return name, name  # Noto SC regular only: bold is drawn as a stroke (see _style)
        return "Helvetica", "Helvetica-Bold"

    def _style(self, name: str, font: str, size: float, *, bold_font: str | None = None, leading: float | None = None,
               **kw) -> ParagraphStyle:
        cjk = not font.startswith(("Helvetica", "Courier", "Times"))
        return ParagraphStyle(name, fontName=bold_font or font, fontSize=size, leading=leading or size * 1.35,
                              wordWrap="CJK" if cjk else None, **kw)

    def _para(self, text: str, style: ParagraphStyle, bold_cjk: bool = False) -> Paragraph:
        markup = escape(text).replace("\n", "<br/>")
        if bold_cjk:  # fake bold for the single-weight CJK face: text render mode 2 (fill + stroke)
            style = ParagraphStyle(style.name + "-b", parent=style, textColor=colors.black)
            markup = f"<b>{markup}</b>"
        return Paragraph(markup, style)

    def build(self) -> bytes:
        """Render every block; returns the PDF bytes (deterministic for the same blocks)."""
        body, bold = self._fonts()
        cjk = body == bold and not body.startswith("Helvetica")
        if cjk:
            pdfmetrics.registerFontFamily(body, normal=body, bold=body, italic=body, boldItalic=body)
        fs = self.font_size
        styles = {
            1: self._style("h1", body, fs * 2.0, bold_font=bold, spaceAfter=fs * 0.8),
            2: self._style("h2", body, fs * 1.45, bold_font=bold, spaceBefore=fs * 0.9, spaceAfter=fs * 0.4),
            3: self._style("h3", body, fs * 1.15, bold_font=bold, spaceBefore=fs * 0.6, spaceAfter=fs * 0.3),
        }
        body_style = self._style("body", body, fs, spaceAfter=fs * 0.6)
        story: list[Flowable] = []
        left, top, right, bottom = self.margins
        frame_width = self.pagesize[0] - left - right

        for block in self.blocks:
            k, a, kw = block.kind, block.args, block.kwargs
            if k == "heading":
                story.append(CondPageBreak(fs * 6))
                story.append(self._para(a[0], styles.get(a[1], styles[3]), bold_cjk=cjk))
            elif k == "paragraph":
                st = body_style
                if kw["size"] or kw["indent"] or kw["space_after"] is not None:
                    st = ParagraphStyle("p", parent=body_style, fontSize=kw["size"] or fs,
                                        leading=(kw["size"] or fs) * 1.35, leftIndent=kw["indent"],
                                        spaceAfter=fs * 0.6 if kw["space_after"] is None else kw["space_after"])
                if kw["bold"] and not cjk:
                    st = ParagraphStyle("pb", parent=st, fontName=bold)
                story.append(self._para(a[0], st, bold_cjk=kw["bold"] and cjk))
            elif k == "field":
                key, value, sep = a
                st = ParagraphStyle("f", parent=body_style, spaceAfter=fs * 0.25)
                story.append(Paragraph(f"<b>{escape(key)}{escape(sep)}</b>{escape(value)}", st))
            elif k == "bullet":
                st = ParagraphStyle("li", parent=body_style, leftIndent=fs * 1.6, bulletIndent=fs * 0.4,
                                    spaceAfter=fs * 0.25)
                story.append(Paragraph(escape(a[1]), st, bulletText=a[0]))
            elif k == "table":
                story.append(self._table(a[0], body, bold, cjk, frame_width, **kw))
                story.append(Spacer(1, fs * 0.8))
            elif k == "screenplay":
                story.extend(self._screenplay_flowables(*a, left_margin=left, frame_width=frame_width))
            elif k == "spacer":
                story.append(Spacer(1, a[0]))
            elif k == "page_break":
                story.append(PageBreak())
            elif k == "scan":
                story.append(_ImageOnly(_text_image(a[0], a[1]), frame_width))
            else:  # pragma: no cover
                raise ValueError(k)

        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out, pagesize=self.pagesize, leftMargin=left, topMargin=top, rightMargin=right, bottomMargin=bottom,
            title=self.title, author=self.author, subject=self.subject, keywords=self.keywords,
            creator=self.creator, producer="briefreel examples (reportlab)", invariant=1,
        )
        on_page = self._page_number if self.page_numbers else (lambda c, d: None)
        doc.build(story or [Spacer(1, 1)], onFirstPage=lambda c, d: None, onLaterPages=on_page)
        if self.created or self.modified:
            return _set_dates(out.getvalue(), self.created, self.modified)
        return out.getvalue()

    def _page_number(self, canv, doc) -> None:
        canv.saveState()
        canv.setFont("Courier", 12)
        canv.drawRightString(self.pagesize[0] - self.margins[2], self.pagesize[1] - 0.5 * inch, f"{doc.page}.")
        canv.restoreState()

    def _table(self, rows, body, bold, cjk, frame_width, *, ruled, header, col_widths, repeat_header, font_size,
               zebra) -> Table:
        fs = font_size or self.font_size * 0.9
        cell = self._style("cell", body, fs, leading=fs * 1.3)
        head = self._style("head", body, fs, bold_font=bold, leading=fs * 1.3)
        data = []
        for i, row in enumerate(rows):
            st = head if (header and i == 0) else cell
            data.append([self._para(c, st, bold_cjk=cjk and header and i == 0) for c in row])
        widths = None
        if col_widths:
            total = float(sum(col_widths))
            widths = [frame_width * w / total for w in col_widths]
        else:  # by content: long columns get the room
            ncol = max(len(r) for r in rows)
            weight = [max(4.0, max((len(r[j]) if j < len(r) else 0) for r in rows) ** 0.8) for j in range(ncol)]
            total = sum(weight)
            widths = [frame_width * w / total for w in weight]
        t = Table(data, colWidths=widths, repeatRows=1 if (header and repeat_header) else 0)
        # CJK line breaking lets closing punctuation hang past the line end: keep it inside the cell.
        right_pad = fs + 2 if cjk else 4
        style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), right_pad),
                 ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        if ruled:
            style.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
            if header:
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)))
        if zebra:
            style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.Color(0.96, 0.96, 0.96)]))
        t.setStyle(TableStyle(style))
        return t

    def _screenplay_flowables(self, kind, text, *, left_margin, frame_width) -> list[Flowable]:
        if kind == "page_break":
            return [PageBreak()]
        indent = SCREENPLAY_INDENTS[kind] - left_margin - _FRAME_PADDING
        width = _SCREENPLAY_WIDTHS.get(kind, frame_width - indent)
        right = max(0.0, frame_width - indent - width)
        if kind in ("scene", "character", "transition"):
            text = text.upper()
        st = ParagraphStyle(
            f"sp-{kind}", fontName="Courier", fontSize=12, leading=12,
            leftIndent=0 if kind == "transition" else indent, rightIndent=right if kind != "transition" else 0,
            alignment=TA_RIGHT if kind == "transition" else TA_LEFT,
            spaceBefore=12 if kind in ("scene", "action", "character", "transition") else 0,
        )
        p = Paragraph(escape(text).replace("\n", "<br/>"), st)
        if kind == "scene":  # keep a heading with what follows it
            return [CondPageBreak(48), p]
        if kind == "character":
            return [CondPageBreak(36), p]
        return [p]


def _pdf_date(iso: str) -> str:
    import datetime

    d = datetime.datetime.fromisoformat(iso)
    off = d.utcoffset()
    if off is None:
        return d.strftime("D:%Y%m%d%H%M%S")
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return d.strftime("D:%Y%m%d%H%M%S") + f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _set_dates(pdf: bytes, created: str | None, modified: str | None) -> bytes:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if created:
            doc.docinfo["/CreationDate"] = _pdf_date(created)
        if modified or created:
            doc.docinfo["/ModDate"] = _pdf_date(modified or created)
        doc.save(out, static_id=True)
    return out.getvalue()


def _text_image(text: str, width_px: int):
    """Text rasterised onto a white bitmap (a 'scan')."""
    from PIL import Image as PILImage, ImageDraw, ImageFont

    import pylopdf_fonts_zh_cn as zh

    font = ImageFont.truetype(str(zh.sans_path()), 32)
    lines = text.splitlines() or [""]
    height = max(400, 60 + 48 * len(lines))
    img = PILImage.new("RGB", (width_px, height), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, 30 + 48 * i), line, fill="black", font=font)
    return img


# -- encryption -----------------------------------------------------------------------------------------------------

def encrypt(pdf: bytes, user: str = "", owner: str = "", R: int = 6, *, aes: bool | None = None,
            metadata: bool = True, allow_extract: bool = True, allow_print: bool = True) -> bytes:
    """Encrypt ``pdf`` with the standard security handler (pikepdf/qpdf).

    R=2: RC4 40-bit. R=3: RC4 128-bit. R=4: AES-128 (``aes=False``: RC4-128 with crypt filters). R=5: AES-256 as
    Adobe's deprecated extension level 3. R=6: AES-256 (PDF 2.0). ``user=""`` makes a file that opens without a
    password but carries restrictions and an owner password. R2-R4 passwords must be PDFDocEncoding-encodable
    (Latin); R5/R6 passwords are written as UTF-8 bytes (qpdf applies no SASLprep: pre-normalise them yourself
    to imitate writers that do).
    """
    import pikepdf

    if not owner:
        owner = user or "owner"
    if aes is None:
        aes = R >= 4
    allow = pikepdf.Permissions(extract=allow_extract, print_highres=allow_print, print_lowres=allow_print,
                                modify_other=False, modify_annotation=False, modify_form=False,
                                modify_assembly=False)
    enc = pikepdf.Encryption(user=user, owner=owner, R=R, aes=aes, metadata=metadata and R >= 4 and aes, allow=allow)
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Encryption R=5 is deprecated")
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            doc.save(out, encryption=enc, static_id=True)
    return out.getvalue()


def encrypt_with_certificate(pdf: bytes) -> bytes:
    """Encrypt ``pdf`` for a throwaway self-signed certificate (Adobe.PubSec, AES-256): no password opens it."""
    import datetime

    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "briefreel test recipient")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    recipient = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf)))
    writer.encrypt_pubkey([recipient])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
