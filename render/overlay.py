"""The fixed overlay of a shot's frames: the label chip (shot id, scene, specs, description) at the top left and the
dialogue caption in the lower third. Panel clips draw both; conformed clips of other renderers get the caption only.

    ov = overlay(shot, board, 1280, 720, desc_lines=2, caption=True)   # RGBA, transparent where nothing is drawn
    ov = caption_overlay(shot, board, 1280, 720)                       # the caption alone, None for a silent shot
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from briefreel.render.fonts import draw_lines, font, line_height, wrap
from briefreel.render.labels import FIELD_LABELS, board_lang, caption_text, spec_line
from briefreel.storyboard.schema import Shot, Storyboard

__all__ = ["overlay", "caption_overlay", "label_chip"]


def overlay(shot: Shot, board: Storyboard, w: int, h: int, *, desc_lines: int, caption: bool,
            labels: bool = True) -> Image.Image:
    """A label chip at the top left (shot id, scene, specs, description) and the dialogue caption (RGBA)."""
    ov = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(ov)
    u = min(w, h) / 720
    pad = round(12 * u)
    if labels:
        label_chip(d, shot, board, w, h, desc_lines)
    cap = caption_text(shot, board)
    if caption and cap:
        f_cap = font(round(32 * u))
        lines = wrap(cap, f_cap, w * 0.84, max_lines=3)
        lh = line_height(f_cap, 1.2)
        bottom = h - round(h * 0.07)
        top = bottom - lh * len(lines)
        box_w = max(f_cap.getlength(ln) for ln in lines) + pad * 2
        d.rounded_rectangle(((w - box_w) / 2, top - pad * 0.6, (w + box_w) / 2, bottom + pad * 0.4),
                            radius=pad * 0.6, fill=(0, 0, 0, 120))
        draw_lines(d, (0, top), lines, f_cap, (255, 255, 255), align="center", width=w, spacing=1.2,
                   stroke_width=max(1, round(2 * u)), stroke_fill=(0, 0, 0))
    return ov


def caption_overlay(shot: Shot, board: Storyboard, width: int, height: int) -> Image.Image | None:
    """The dialogue/VO caption alone, as drawn on panel clips (None when the shot is silent)."""
    if not caption_text(shot, board):
        return None
    return overlay(shot, board, width, height, desc_lines=0, caption=True, labels=False)


def label_chip(d: ImageDraw.ImageDraw, shot: Shot, board: Storyboard, w: int, h: int, desc_lines: int) -> None:
    """The chip at the top left: the shot id in a white box, then scene and specs, then the description."""
    u = min(w, h) / 720
    pad = round(12 * u)
    f_id, f_spec, f_desc = font(round(28 * u)), font(round(20 * u)), font(round(18 * u))
    lang = board_lang(board)
    spec = f"{FIELD_LABELS[lang]['scene']} {shot.scene}  |  {spec_line(shot, board)}"
    id_w = f_id.getlength(shot.id) + 2 * pad
    id_h = line_height(f_id, 1.0) + pad // 2
    text_x = pad * 2 + id_w
    max_w = (w * (0.62 if w > h else 0.9)) - text_x
    spec_lines = wrap(spec, f_spec, max_w, max_lines=2)
    desc = wrap(shot.description, f_desc, max_w, max_lines=desc_lines) if desc_lines else []
    text_w = max([f_spec.getlength(x) for x in spec_lines] + [f_desc.getlength(x) for x in desc])
    text_h = line_height(f_spec, 1.2) * len(spec_lines) + line_height(f_desc) * len(desc)
    chip = (pad, pad, text_x + text_w + pad, pad + max(id_h, text_h) + pad)
    d.rounded_rectangle(chip, radius=pad * 0.6, fill=(22, 22, 26, 165))
    d.rectangle((pad * 2, pad * 2, pad * 2 + id_w - pad, pad * 2 + id_h - pad // 2), fill=(255, 255, 255, 240))
    d.text((pad * 2.5, pad * 2 - round(2 * u)), shot.id, font=f_id, fill=(20, 20, 24), stroke_width=max(1, round(u)),
           stroke_fill=(20, 20, 24))
    y = draw_lines(d, (text_x + pad // 2, pad * 1.6), spec_lines, f_spec, (255, 255, 255), spacing=1.2)
    draw_lines(d, (text_x + pad // 2, y), desc, f_desc, (222, 222, 228))
