"""Noto Sans SC for reportlab, embedded as a small TrueType subset.

reportlab embeds TrueType outlines only, and the CJK face we ship (``pylopdf-fonts-zh-cn``'s NotoSansSC-Regular.otf)
has CFF (PostScript) outlines. So for each document we subset the face to the characters the document uses
(fontTools), convert the cubic CFF outlines to quadratic TrueType ones (cu2qu), and register the result. The PDF
then carries its own font, with a ToUnicode map, so every viewer shows it and ``pdftotext`` extracts Chinese text.
"""

from __future__ import annotations

import hashlib
import io
import threading
from functools import lru_cache

# Always in the subset: what the layout itself prints (digits, Latin, the ellipsis and bullets it uses).
_BASE = "".join(chr(c) for c in range(0x20, 0x7F)) + "…·•—–“”‘’→←↑↓（）：，。、《》「」·×"


def to_truetype(font) -> None:
    """Replace the CFF table of ``font`` by glyf/loca (in place)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 3.0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


_LOCK = threading.Lock()


def _cff_subset(chars: str) -> bytes:
    """Noto Sans SC cut down to ``chars``, CFF outlines kept (an OTF): the slow step, done once per character set."""
    with _LOCK:  # a second caller waits for the first and gets its result from the cache
        return _cff_subset_cached(chars)


def clear_cache() -> None:
    """Forget the fonts cut so far (the next sheet or page cuts its font again, as a fresh process does)."""
    _cff_subset_cached.cache_clear()


@lru_cache(maxsize=8)
def _cff_subset_cached(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from briefreel.render.fonts import font_path

    font = TTFont(font_path())
    opts = subset.Options()
    opts.hinting = False
    opts.notdef_outline = True
    opts.name_IDs = ["*"]
    opts.layout_features = []
    sub = subset.Subsetter(options=opts)
    sub.populate(text=chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def subset_bytes(chars: str, truetype: bool = True, ps_name: str | None = None) -> bytes:
    """Noto Sans SC cut down to ``chars``: TrueType outlines for reportlab, or the original CFF (OTF) for the web."""
    data = _cff_subset(chars)
    if not truetype and not ps_name:
        return data
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    if truetype:
        to_truetype(font)
    if ps_name:
        # reportlab shares one face between fonts with the same PostScript name: each subset gets its own.
        for rec in font["name"].names:
            if rec.nameID == 6:
                rec.string = ps_name
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def covering(text: str) -> str:
    """The sorted character set a document needs: its own text plus what the layout prints."""
    return "".join(sorted(set(text) | set(_BASE)))


def register(text: str) -> str:
    """Register a subset of Noto Sans SC covering ``text`` with reportlab; returns the font name to use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    chars = covering(text)
    name = "NotoSansSC-" + hashlib.sha1(chars.encode("utf-8")).hexdigest()[:10]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(subset_bytes(chars, ps_name=name))))
    return name
