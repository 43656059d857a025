"""Drawing a panel's frame: the set, the figures and the product, and the storyboard notation for the move (red
arrows, the end frame as a dashed box, thirds and crop marks). Pencil-test greys on paper, one red for the camera.

    draw_background(d, canvas_size, F, lay, rng, k)   # F: the nominal frame's rect on the canvas
    draw_subject(d, F, lay)
    move_marks(d, stage, shot); frame_marks(d, w, h)   # on the still panel
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from PIL import ImageDraw

from briefreel.render.camera import View
from briefreel.render.fonts import draw_lines, font, wrap
from briefreel.render.labels import value
from briefreel.render.panel_layout import Layout
from briefreel.storyboard.schema import Shot

if TYPE_CHECKING:
    from briefreel.render.stage import Stage

__all__ = ["PAPER", "ACCENT", "draw_background", "draw_card", "draw_figure", "draw_product", "draw_subject", "arrow",
           "dashed_rect", "move_marks", "frame_marks"]

PAPER = (243, 240, 232)
SKY = (249, 247, 242)
GROUND = (228, 224, 214)
LINE = (92, 92, 98)
FAINT = (188, 186, 182)
FIGURE = (138, 140, 148)
FIGURE_DARK = (58, 58, 64)
PRODUCT = (96, 110, 128)
ACCENT = (208, 62, 58)


def draw_background(d: ImageDraw.ImageDraw, size: tuple[int, int], F: tuple[float, float, float, float],
                     lay: Layout, rng: random.Random, k: float) -> None:
    W, H = size
    fx, fy, fw, fh = F
    lw = max(1, round(2 * k * fh / 720))
    if lay.card is not None:
        draw_card(d, size, F, lay.card)
        return
    if lay.horizon is None:  # overhead: a floor seen from above
        d.rectangle((0, 0, W, H), fill=GROUND)
        step = fh / 6
        x = fx - step * math.ceil(fx / step)
        while x < W:
            d.line((x, 0, x, H), fill=FAINT, width=lw)
            x += step
        y = fy - step * math.ceil(fy / step)
        while y < H:
            d.line((0, y, W, y), fill=FAINT, width=lw)
            y += step
        return
    hy = fy + fh * lay.horizon
    vx = fx + fw / 2
    # Sky (or wall) above the horizon, ground below; a soft band of tone under the horizon.
    d.rectangle((0, 0, W, hy), fill=SKY)
    d.rectangle((0, hy, W, H), fill=GROUND)
    if lay.setting == "interior":
        floor = hy + fh * 0.08
        d.rectangle((0, 0, W, floor), fill=(236, 232, 223))
        d.rectangle((0, floor, W, H), fill=GROUND)
        d.line((0, floor, W, floor), fill=LINE, width=lw)
        # A window and a framed picture on the back wall.
        wx = fx + fw * (0.12 if rng.random() < 0.5 else 0.64)
        wy, ww, wh = fy + fh * 0.05, fw * 0.24, min(fh * 0.4, floor - fy - fh * 0.1)
        if wh > 0:
            d.rectangle((wx, wy, wx + ww, wy + wh), fill=SKY, outline=LINE, width=lw)
            d.line((wx + ww / 2, wy, wx + ww / 2, wy + wh), fill=LINE, width=lw)
            d.line((wx, wy + wh / 2, wx + ww, wy + wh / 2), fill=LINE, width=lw)
        px = fx + fw * (0.7 if wx < fx + fw * 0.5 else 0.16)
        if floor - fy > fh * 0.3:
            d.rectangle((px, fy + fh * 0.12, px + fw * 0.1, fy + fh * 0.26), outline=FAINT, width=lw)
        # Floor boards converge on the vanishing point.
        for i in range(-14, 15):
            d.line((vx + i * fw * 0.02, floor, vx + i * fw * 0.22, H), fill=FAINT, width=lw)
        return
    d.line((0, hy, W, hy), fill=LINE, width=lw)
    if lay.setting == "city":
        x = 0.0
        while x < W:
            bw = fw * rng.uniform(0.05, 0.11)
            bh = fh * rng.uniform(0.08, 0.34)
            tone = rng.choice([(214, 212, 208), (200, 199, 196), (222, 220, 215)])
            d.rectangle((x, hy - bh, x + bw, hy), fill=tone, outline=FAINT, width=lw)
            wy = hy - bh + fh * 0.02
            while wy < hy - fh * 0.03:
                for wxp in range(3):
                    cx = x + bw * (0.2 + 0.28 * wxp)
                    d.rectangle((cx, wy, cx + bw * 0.12, wy + fh * 0.012), fill=(238, 236, 230))
                wy += fh * 0.035
            x += bw + fw * rng.uniform(0.0, 0.02)
        for s in (-1, 1):  # kerb lines of a street running to the vanishing point
            d.line((vx + s * fw * 0.03, hy, vx + s * fw * 0.9, H), fill=LINE, width=lw)
        for i in range(1, 7):  # dashed centre line
            y0 = hy + (H - hy) * (i / 7) ** 2
            y1 = hy + (H - hy) * ((i + 0.4) / 7) ** 2
            d.line((vx, y0, vx, y1), fill=FAINT, width=lw * 2)
    elif lay.setting == "sea":
        d.ellipse((fx + fw * 0.72, hy - fh * 0.22, fx + fw * 0.8, hy - fh * 0.22 + fw * 0.08), outline=FAINT,
                  width=lw)
        d.rectangle((0, hy, W, H), fill=(222, 226, 228))
        d.line((0, hy, W, hy), fill=LINE, width=lw)
        for _ in range(int(60 * W / max(fw, 1))):
            x = rng.uniform(0, W)
            y = hy + (H - hy) * rng.random() ** 1.6
            s = fw * 0.01 * (1 + 4 * (y - hy) / max(H - hy, 1))
            d.arc((x, y, x + s * 2, y + s), 200, 340, fill=FAINT, width=lw)
    elif lay.setting == "hills":
        pts = [(0.0, hy)]
        x = 0.0
        while x < W:
            x += fw * rng.uniform(0.08, 0.2)
            pts.append((x, hy - fh * rng.uniform(0.05, 0.22)))
        pts.append((W, hy))
        d.polygon(pts + [(W, hy + 1), (0, hy + 1)], fill=(214, 214, 206), outline=FAINT)
        for _ in range(int(80 * W / max(fw, 1))):
            x = rng.uniform(0, W)
            y = hy + (H - hy) * rng.random()
            s = fh * 0.012 * (1 + 3 * (y - hy) / max(H - hy, 1))
            d.line((x, y, x + s * 0.3, y - s), fill=FAINT, width=lw)
    else:  # open ground: a perspective grid
        for i in range(-12, 13):
            d.line((vx + i * fw * 0.03, hy, vx + i * fw * 0.3, H), fill=FAINT, width=lw)
        for i in range(1, 8):
            y = hy + (H - hy) * (i / 8) ** 2
            d.line((0, y, W, y), fill=FAINT, width=lw)


def draw_card(d: ImageDraw.ImageDraw, size: tuple[int, int], F, text: str) -> None:
    """An end card: plain warm ground, a logo placeholder and the line, centred."""
    W, H = size
    fx, fy, fw, fh = F
    d.rectangle((0, 0, W, H), fill=(246, 240, 226))
    u = min(fw, fh) / 720
    r = 60 * u
    cx, cy = fx + fw / 2, fy + fh * 0.36
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=LINE, width=max(1, round(3 * u)))
    f_logo = font(round(26 * u))
    d.text((cx - f_logo.getlength("LOGO") / 2, cy - 16 * u), "LOGO", font=f_logo, fill=LINE)
    f = font(round(54 * u))
    lines = wrap(text, f, fw * 0.8, max_lines=3)
    y = fy + fh * 0.55
    draw_lines(d, (fx, y), lines, f, (40, 40, 46), align="center", width=fw, spacing=1.2)


def draw_figure(d: ImageDraw.ImageDraw, x: float, top: float, hpx: float, frame_h: float, face: str,
                 overhead: bool, dark: bool = False) -> None:
    """A mannequin, head top at (x, top), ``hpx`` tall; body units 0 (head top) .. 1 (feet)."""
    fill = FIGURE_DARK if dark else FIGURE
    out = FIGURE_DARK
    lw = max(1, round(min(hpx, frame_h) * 0.005))

    def P(u: float, v: float) -> tuple[float, float]:
        return (x + u * hpx, top + v * hpx)

    if overhead:  # seen from above: shoulders and a head
        d.ellipse((*P(-0.14, 0.3), *P(0.14, 0.44)), fill=fill, outline=out, width=lw)
        d.ellipse((*P(-0.055, 0.31), *P(0.055, 0.43)), fill=(112, 112, 120), outline=out, width=lw)
        return
    # legs, torso, arms, neck, head (back to front)
    for sgn in (-1, 1):
        d.polygon([P(sgn * 0.012, 0.5), P(sgn * 0.095, 0.5), P(sgn * 0.075, 0.97), P(sgn * 0.03, 0.97)], fill=fill,
                  outline=out, width=lw)
        d.ellipse((*P(sgn * 0.055 - 0.045, 0.955), *P(sgn * 0.055 + 0.045, 1.0)), fill=fill, outline=out, width=lw)
    d.polygon([P(-0.125, 0.17), P(0.125, 0.17), P(0.088, 0.42), P(0.105, 0.52), P(-0.105, 0.52), P(-0.088, 0.42)],
              fill=fill, outline=out, width=lw)
    d.ellipse((*P(-0.13, 0.148), *P(0.13, 0.2)), fill=fill)  # rounded shoulders
    d.arc((*P(-0.13, 0.148), *P(0.13, 0.2)), 180, 360, fill=out, width=lw)
    for sgn in (-1, 1):
        d.polygon([P(sgn * 0.095, 0.17), P(sgn * 0.14, 0.18), P(sgn * 0.142, 0.47), P(sgn * 0.108, 0.47),
                   P(sgn * 0.1, 0.26)], fill=fill, outline=out, width=lw)
        d.ellipse((*P(sgn * 0.125 - 0.024, 0.455), *P(sgn * 0.125 + 0.024, 0.51)), fill=fill, outline=out, width=lw)
    d.rectangle((*P(-0.024, 0.115), *P(0.024, 0.16)), fill=fill)
    d.line((*P(-0.024, 0.118), *P(-0.024, 0.152)), fill=out, width=lw)
    d.line((*P(0.024, 0.118), *P(0.024, 0.152)), fill=out, width=lw)
    d.ellipse((*P(-0.052, 0.0), *P(0.052, 0.13)), fill=(168, 168, 174) if not dark else fill, outline=out,
              width=max(lw, 1))
    if face:
        ew = max(1, round(min(hpx * 0.0035, frame_h * 0.012)))
        for s in (-1, 1):  # eyes, brows
            d.ellipse((*P(s * 0.021 - 0.009, 0.058), *P(s * 0.021 + 0.009, 0.066)), fill=out)
            d.arc((*P(s * 0.021 - 0.014, 0.046), *P(s * 0.021 + 0.014, 0.06)), 200, 340, fill=out, width=ew)
        d.line((*P(0.0, 0.07), *P(-0.006, 0.088)), fill=out, width=ew)  # nose
        d.line((*P(-0.006, 0.088), *P(0.004, 0.089)), fill=out, width=ew)
        d.arc((*P(-0.018, 0.093), *P(0.018, 0.106)), 20, 160, fill=out, width=ew)  # mouth


def draw_product(d: ImageDraw.ImageDraw, x: float, bottom: float, hpx: float, surface: bool = True) -> None:
    """A bottle on a surface (or held): body, shoulder, neck, cap and a label band."""
    bw = hpx * 0.36
    lw = max(1, round(hpx * 0.008))
    if surface:
        d.line((x - hpx * 0.9, bottom, x + hpx * 0.9, bottom), fill=LINE, width=lw)  # table edge
        d.ellipse((x - bw * 0.7, bottom - hpx * 0.03, x + bw * 0.7, bottom + hpx * 0.03), fill=(200, 198, 192))
    d.rounded_rectangle((x - bw / 2, bottom - hpx * 0.68, x + bw / 2, bottom), radius=bw * 0.12, fill=PRODUCT,
                        outline=FIGURE_DARK, width=lw)
    d.polygon([(x - bw / 2, bottom - hpx * 0.66), (x - bw * 0.16, bottom - hpx * 0.82),
               (x + bw * 0.16, bottom - hpx * 0.82), (x + bw / 2, bottom - hpx * 0.66)], fill=PRODUCT,
              outline=FIGURE_DARK)
    d.rectangle((x - bw * 0.14, bottom - hpx * 0.92, x + bw * 0.14, bottom - hpx * 0.8), fill=PRODUCT,
                outline=FIGURE_DARK, width=lw)
    d.rounded_rectangle((x - bw * 0.17, bottom - hpx, x + bw * 0.17, bottom - hpx * 0.9), radius=bw * 0.04,
                        fill=FIGURE_DARK)
    d.rectangle((x - bw / 2 + lw, bottom - hpx * 0.46, x + bw / 2 - lw, bottom - hpx * 0.22), fill=(236, 234, 228))
    d.line((x - bw * 0.3, bottom - hpx * 0.36, x + bw * 0.3, bottom - hpx * 0.36), fill=ACCENT, width=lw * 2)
    d.line((x + bw * 0.3, bottom - hpx * 0.62, x + bw * 0.3, bottom - hpx * 0.5), fill=(170, 180, 196),
           width=lw * 2)  # highlight


def draw_subject(d: ImageDraw.ImageDraw, F, lay: Layout) -> None:
    fx, fy, fw, fh = F
    if lay.card is not None:
        return
    k_over = lay.horizon is None
    for i, (xf, topf, body) in enumerate(lay.figures):
        draw_figure(d, fx + fw * xf, fy + fh * topf, fh * body, fh, lay.face_detail, k_over)
    if lay.ots:  # the foreground shoulder we look over, dark and big
        x = fx + fw * (0.5 + (0.5 - lay.figures[0][0]) * 1.9)
        draw_figure(d, x, fy + fh * 0.45, fh * 3.2, fh, "", False, dark=True)
    if lay.product:
        xf, bf, hf = lay.product
        draw_product(d, fx + fw * xf, fy + fh * bf, fh * hf, surface=not lay.product_in_hand)



# -- the move in storyboard notation (still panels) --------------------------------------------------------------

def arrow(d: ImageDraw.ImageDraw, p0, p1, width: int, head: float, fill=ACCENT) -> None:
    d.line((*p0, *p1), fill=fill, width=width)
    ang = math.atan2(p1[1] - p0[1], p1[0] - p0[0])
    for s in (-1, 1):
        a = ang + math.pi + s * 0.45
        d.line((*p1, p1[0] + head * math.cos(a), p1[1] + head * math.sin(a)), fill=fill, width=width)


def dashed_rect(d: ImageDraw.ImageDraw, box, width: int, dash: float, fill=ACCENT) -> None:
    x0, y0, x1, y1 = box
    for (ax, ay), (bx, by) in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        n = max(1, int(math.hypot(bx - ax, by - ay) / dash))
        for i in range(0, n, 2):
            t0, t1 = i / n, min(1.0, (i + 1) / n)
            d.line((ax + (bx - ax) * t0, ay + (by - ay) * t0, ax + (bx - ax) * t1, ay + (by - ay) * t1), fill=fill,
                   width=width)


def move_marks(d: ImageDraw.ImageDraw, stage: Stage, shot: Shot) -> None:
    """Storyboard notation for the move: red arrows, and the end frame as a dashed box for zooms."""
    w, h = stage.w, stage.h
    u = min(w, h) / 720
    lw, head = max(2, round(4 * u)), 22 * u
    move = value(shot.movement)
    fam = shot.family
    v0, v1 = stage.path.view(0.0), stage.path.view(1.0)

    def to_out(px: float, py: float, v: View) -> tuple[float, float]:  # scene point -> output pixel under v
        return ((px - v.cx) * v.z + w / 2, (py - v.cy) * v.z + h / 2)

    if fam in ("push", "pull", "aerial") or move == "dolly_zoom":
        # The other end of the move, drawn in the first frame's coordinates.
        end = v1 if fam != "pull" else v1
        x0, y0 = to_out(end.cx - w / (2 * end.z), end.cy - h / (2 * end.z), v0)
        x1, y1 = to_out(end.cx + w / (2 * end.z), end.cy + h / (2 * end.z), v0)
        if end.z < v0.z:  # pulling out: the end frame is bigger than this one; show this one inside it
            s = end.z / v0.z
            cx, cy = w / 2 + (v0.cx - end.cx) * end.z, h / 2 + (v0.cy - end.cy) * end.z
            x0, y0, x1, y1 = cx - w * s / 2, cy - h * s / 2, cx + w * s / 2, cy + h * s / 2
        dashed_rect(d, (x0, y0, x1, y1), lw, 14 * u)
        inward = fam != "pull" and move != "dolly_zoom"
        for (cx, cy), (ex, ey) in (((0, 0), (x0, y0)), ((w, 0), (x1, y0)), ((0, h), (x0, y1)), ((w, h), (x1, y1))):
            a = (cx + (ex - cx) * 0.25, cy + (ey - cy) * 0.25)
            b = (cx + (ex - cx) * 0.85, cy + (ey - cy) * 0.85)
            arrow(d, a if inward else b, b if inward else a, lw, head)
    elif fam in ("pan", "truck") or move == "arc":
        dx = v1.cx - v0.cx
        y = h * 0.3
        sgn = 1 if dx >= 0 else -1
        arrow(d, (w / 2 - sgn * w * 0.3, y), (w / 2 + sgn * w * 0.3, y), lw * (2 if move == "whip_pan" else 1), head)
        if move == "whip_pan":
            for i in range(3):
                yy = y + (i - 1) * 14 * u
                d.line((w / 2 - sgn * w * 0.42, yy, w / 2 - sgn * w * 0.34, yy), fill=ACCENT, width=lw)
        if move == "arc":
            r = w * 0.3
            d.arc((w / 2 - r, h * 0.55, w / 2 + r, h * 0.95), 20, 160, fill=ACCENT, width=lw)
    elif fam in ("tilt", "vertical"):
        dy = v1.cy - v0.cy
        x = w * 0.12 if stage.layout.figures and stage.layout.figures[0][0] > 0.5 else w * 0.88
        sgn = 1 if dy >= 0 else -1
        arrow(d, (x, h / 2 - sgn * h * 0.25), (x, h / 2 + sgn * h * 0.25), lw, head)
    elif fam == "roll":
        r = min(w, h) * 0.3
        d.arc((w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), 200, 320, fill=ACCENT, width=lw)
        a = math.radians(320)
        p = (w / 2 + r * math.cos(a), h / 2 + r * math.sin(a))
        arrow(d, (p[0] - 20 * u, p[1] - 16 * u), p, lw, head)
    elif fam == "handheld":
        pts = [(w * 0.35 + i * w * 0.3 / 24, h * 0.3 + math.sin(i * 1.3) * 10 * u) for i in range(25)]
        d.line(pts, fill=ACCENT, width=lw)


def frame_marks(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
    """Rule-of-thirds guides and crop marks, as on a storyboard template."""
    u = min(w, h) / 720
    g = (255, 255, 255, 80)
    for i in (1, 2):
        for j in range(0, int(h), int(16 * u) or 1):
            d.line((w * i / 3, j, w * i / 3, j + 6 * u), fill=g, width=1)
        for j in range(0, int(w), int(16 * u) or 1):
            d.line((j, h * i / 3, j + 6 * u, h * i / 3), fill=g, width=1)
    m, L, c = 10 * u, 28 * u, (30, 30, 34, 200)
    lw = max(1, round(2 * u))
    for x, sx in ((m, 1), (w - m, -1)):
        for y, sy in ((m, 1), (h - m, -1)):
            d.line((x, y, x + sx * L, y), fill=c, width=lw)
            d.line((x, y, x, y + sy * L), fill=c, width=lw)

