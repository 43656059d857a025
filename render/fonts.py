"""Fonts and text layout for panels and captions.

One CJK-capable face for everything: Noto Sans SC from the ``pylopdf-fonts-zh-cn`` wheel (installed from PyPI, so a
clean machine has it). It covers Latin, digits and Simplified Chinese; Pillow's default font has no CJK glyphs and
draws tofu boxes. ``wrap`` breaks Latin text at spaces and CJK text between any two characters, keeping closing
punctuation off the start of a line.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageDraw, ImageFont

from briefreel.render.errors import RendererUnavailable
from briefreel.text import is_cjk

# Characters that must not start a line (kinsoku): closing punctuation, in CJK and Latin.
_NO_LINE_START = set("，。、；：？！）》」』】”’…—,.;:?!)]}%")


@lru_cache(maxsize=1)
def font_path() -> str:
    """Path of the CJK-capable sans face (Noto Sans SC Regular)."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise RendererUnavailable(
            "the caption font is missing: pip install pylopdf-fonts-zh-cn (it ships Noto Sans SC)"
        ) from exc
    return str(pylopdf_fonts_zh_cn.sans_path())


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The sans face at ``size`` pixels (cached; fonts are immutable)."""
    return ImageFont.truetype(font_path(), max(6, int(size)))


def _tokens(text: str) -> list[str]:
    """Split into breakable units: a CJK character each, a Latin word with its trailing spaces."""
    out: list[str] = []
    word = ""
    for ch in text:
        if is_cjk(ch):
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch == " ":
            word += ch
            out.append(word)
            word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap(text: str, fnt: ImageFont.FreeTypeFont, max_width: float, max_lines: int | None = None) -> list[str]:
    """Lines of ``text`` that each fit ``max_width`` pixels; an ellipsis marks text cut by ``max_lines``."""
    lines: list[str] = []
    for paragraph in str(text).replace("\r", "").split("\n"):
        line = ""
        for tok in _tokens(paragraph.strip()):
            trial = line + tok
            if not line or fnt.getlength(trial.rstrip()) <= max_width:
                line = trial
                continue
            if tok[0] in _NO_LINE_START:  # keep closing punctuation on the line it closes
                line = trial
                continue
            lines.append(line.rstrip())
            line = tok.lstrip()
            # A single token wider than the line (a long URL): hard-break it.
            while fnt.getlength(line) > max_width and len(line) > 1:
                cut = len(line)
                while cut > 1 and fnt.getlength(line[:cut]) > max_width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        if line.strip() or not lines:
            lines.append(line.rstrip())
    lines = [ln for ln in lines if ln] or [""]
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and fnt.getlength(last + "…") > max_width:
            last = last[:-1]
        kept[-1] = last.rstrip() + "…"
        return kept
    return lines


def line_height(fnt: ImageFont.FreeTypeFont, spacing: float = 1.25) -> int:
    ascent, descent = fnt.getmetrics()
    return int(round((ascent + descent) * spacing))


def draw_lines(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    lines: list[str],
    fnt: ImageFont.FreeTypeFont,
    fill,
    *,
    align: str = "left",
    width: float | None = None,
    spacing: float = 1.25,
    stroke_width: int = 0,
    stroke_fill=None,
) -> float:
    """Draw ``lines`` from the top-left ``xy``; returns the y below the last line."""
    x, y = xy
    lh = line_height(fnt, spacing)
    for ln in lines:
        lx = x
        if align == "center" and width is not None:
            lx = x + (width - fnt.getlength(ln)) / 2
        draw.text((lx, y), ln, font=fnt, fill=fill, stroke_width=stroke_width, stroke_fill=stroke_fill)
        y += lh
    return y
