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
from briefreel.render.panel_layout import HANDS, Layout
from briefreel.render.pictograms import draw_object, product_icon
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


# The light is the palette: sky (top, horizon), ground, wall, lines, faint lines, figures, windows, glow.
PALETTES = {
    "day": {"sky_top": (226, 236, 244), "sky": (249, 247, 242), "ground": GROUND, "wall": (236, 232, 223),
            "line": LINE, "faint": FAINT, "figure": FIGURE, "figure_dark": FIGURE_DARK, "window": (214, 230, 242),
            "lit": (214, 230, 242), "build": (214, 212, 208), "water": (200, 218, 226), "grass": (206, 216, 190),
            "tint": 1.0},
    "pre_dawn": {"sky_top": (30, 40, 78), "sky": (92, 108, 156), "ground": (64, 70, 92), "wall": (78, 86, 112),
                 "line": (26, 30, 46), "faint": (104, 112, 140), "figure": (112, 118, 142),
                 "figure_dark": (34, 38, 56), "window": (60, 72, 110), "lit": (255, 206, 120),
                 "build": (48, 56, 84), "water": (70, 84, 120), "grass": (60, 72, 84), "tint": 0.62},
    "golden_hour": {"sky_top": (244, 170, 100), "sky": (252, 226, 170), "ground": (212, 170, 120),
                    "wall": (236, 200, 150), "line": (92, 62, 44), "faint": (190, 148, 104),
                    "figure": (150, 118, 100), "figure_dark": (70, 48, 40), "window": (255, 214, 150),
                    "lit": (255, 220, 140), "build": (200, 150, 110), "water": (232, 180, 120),
                    "grass": (196, 176, 104), "tint": 0.92},
    "night": {"sky_top": (10, 14, 34), "sky": (36, 42, 76), "ground": (32, 34, 50), "wall": (46, 48, 68),
              "line": (8, 10, 18), "faint": (68, 72, 100), "figure": (86, 90, 112), "figure_dark": (16, 18, 28),
              "window": (40, 46, 76), "lit": (255, 206, 110), "build": (26, 30, 50), "water": (30, 40, 70),
              "grass": (30, 40, 44), "tint": 0.55},
    "neon": {"sky_top": (24, 10, 44), "sky": (64, 22, 84), "ground": (36, 22, 52), "wall": (54, 30, 74),
             "line": (12, 6, 22), "faint": (120, 60, 150), "figure": (100, 86, 130), "figure_dark": (20, 12, 30),
             "window": (60, 30, 90), "lit": (255, 70, 190), "build": (34, 18, 56), "water": (40, 30, 80),
             "grass": (40, 30, 50), "tint": 0.6},
}
NEON = ((255, 64, 180), (60, 230, 255), (255, 210, 60))


def palette(lay: Layout) -> dict:
    return PALETTES.get(lay.light, PALETTES["day"])


def _mix(a, b, t: float):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def _sky(d, W, hy, pal) -> None:
    n = 24
    for i in range(n):
        y0, y1 = hy * i / n, hy * (i + 1) / n + 1
        d.rectangle((0, y0, W, y1), fill=_mix(pal["sky_top"], pal["sky"], i / (n - 1)))


def _box(F, b):
    fx, fy, fw, fh = F
    return (fx + fw * b[0], fy + fh * b[1], fx + fw * b[2], fy + fh * b[3])


def draw_background(d: ImageDraw.ImageDraw, size: tuple[int, int], F: tuple[float, float, float, float],
                     lay: Layout, rng: random.Random, k: float) -> None:
    W, H = size
    fx, fy, fw, fh = F
    lw = max(1, round(2 * k * fh / 720))
    pal = palette(lay)
    LINE, FAINT, SKY, GROUND = pal["line"], pal["faint"], pal["sky"], pal["ground"]
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
        _draw_things(d, F, lay, "set")
        return
    hy = fy + fh * lay.horizon
    vx = fx + fw / 2
    place = lay.place
    if place in ("kitchen", "office", "room", "cafe", "interior", "tabletop"):
        wall = pal["wall"]
        d.rectangle((0, 0, W, H), fill=wall)
        if place == "tabletop":  # a counter top and the wall behind it, the light from the side
            top = fy + fh * 0.62
            d.rectangle((0, top, W, H), fill=_mix(GROUND, LINE, 0.12))
            d.line((0, top, W, top), fill=LINE, width=lw * 2)
            for i in range(-10, 11):
                d.line((vx + i * fw * 0.06, top, vx + i * fw * 0.16, H), fill=_mix(GROUND, FAINT, 0.5), width=lw)
            _draw_things(d, F, lay, "set")
            return
        floor = hy + fh * 0.08
        d.rectangle((0, floor, W, H), fill=GROUND)
        d.line((0, floor, W, floor), fill=LINE, width=lw)
        for i in range(-14, 15):  # floor boards converge on the vanishing point
            d.line((vx + i * fw * 0.02, floor, vx + i * fw * 0.22, H), fill=FAINT, width=lw)
        if place == "kitchen":  # wall cabinets, a counter with a tiled splashback, a stove
            top = max(fy + fh * 0.24, hy - fh * 0.12)
            d.rectangle((0, fy + fh * 0.02, W, fy + fh * 0.2), fill=_mix(wall, LINE, 0.18), outline=LINE, width=lw)
            x = fx - fw
            while x < W:
                d.line((x, fy + fh * 0.02, x, fy + fh * 0.2), fill=LINE, width=lw)
                x += fw * 0.14
            for yy in range(6):
                y = fy + fh * (0.24 + yy * 0.045)
                if y < top:
                    d.line((0, y, W, y), fill=_mix(wall, FAINT, 0.6), width=lw)
            d.rectangle((0, top, W, top + fh * 0.05), fill=_mix(GROUND, LINE, 0.25), outline=LINE, width=lw)
            if floor > top + fh * 0.1:
                d.rectangle((0, top + fh * 0.05, W, floor), fill=_mix(wall, LINE, 0.1), outline=LINE, width=lw)
                x = fx - fw
                while x < W:
                    d.rectangle((x, top + fh * 0.07, x + fw * 0.13, floor - fh * 0.02), outline=FAINT, width=lw)
                    x += fw * 0.14
            bx = fx + fw * 0.52
            d.rectangle((bx, top - fh * 0.01, bx + fw * 0.16, top), fill=LINE)  # the hob
        elif place == "office":
            for j in range(3):
                x = fx + fw * (0.05 + 0.32 * j)
                d.rectangle((x, hy - fh * 0.02, x + fw * 0.24, hy + fh * 0.02), fill=_mix(wall, LINE, 0.3))
                draw_object(d, "laptop", (x + fw * 0.06, hy - fh * 0.12, x + fw * 0.18, hy - fh * 0.02), FAINT)
        elif place == "cafe":
            d.rectangle((0, hy - fh * 0.02, W, hy + fh * 0.06), fill=_mix(wall, LINE, 0.35), outline=LINE, width=lw)
            for j in range(5):
                x = fx + fw * (0.1 + 0.2 * j)
                d.ellipse((x, fy + fh * 0.04, x + fw * 0.05, fy + fh * 0.1), fill=pal["lit"], outline=LINE)
        elif not any(t.key == "window" for t in lay.things):  # a room: a window and a picture
            wx = fx + fw * (0.12 if rng.random() < 0.5 else 0.64)
            wy, ww, wh = fy + fh * 0.05, fw * 0.24, min(fh * 0.4, floor - fy - fh * 0.1)
            if wh > 0:
                draw_object(d, "window", (wx, wy, wx + ww, wy + wh), pal["window"], LINE)
        _draw_things(d, F, lay, "set")
        return
    _sky(d, W, hy, pal)
    d.rectangle((0, hy, W, H), fill=GROUND)
    d.line((0, hy, W, hy), fill=LINE, width=lw)
    if place in ("street", "skyline", "city", "night_market"):
        x = 0.0
        tall = 0.34 if place != "skyline" else 0.5
        while x < W:
            bw = fw * rng.uniform(0.05, 0.11)
            bh = fh * rng.uniform(0.08, tall)
            tone = _mix(pal["build"], pal["sky"], rng.uniform(0.0, 0.25))
            d.rectangle((x, hy - bh, x + bw, hy), fill=tone, outline=FAINT, width=lw)
            wy = hy - bh + fh * 0.02
            while wy < hy - fh * 0.03:
                for wxp in range(3):
                    cx = x + bw * (0.2 + 0.28 * wxp)
                    lit = lay.light == "day" or (lay.light in ("night", "neon") and rng.random() < 0.35)
                    d.rectangle((cx, wy, cx + bw * 0.12, wy + fh * 0.012),
                                fill=pal["lit"] if lit and lay.light != "day" else _mix(tone, pal["sky"], 0.5))
                wy += fh * 0.035
            x += bw + fw * rng.uniform(0.0, 0.02)
        if place != "skyline":
            for s in (-1, 1):  # kerb lines of a street running to the vanishing point
                d.line((vx + s * fw * 0.03, hy, vx + s * fw * 0.9, H), fill=LINE, width=lw)
            for i in range(1, 7):  # dashed centre line
                y0 = hy + (H - hy) * (i / 7) ** 2
                y1 = hy + (H - hy) * ((i + 0.4) / 7) ** 2
                d.line((vx, y0, vx, y1), fill=FAINT, width=lw * 2)
        if place == "night_market":  # stalls with awnings and strings of lanterns
            for j in range(6):
                x = fx + fw * (-0.05 + 0.19 * j)
                top = hy - fh * 0.12
                d.rectangle((x, top, x + fw * 0.15, hy + fh * 0.05), fill=pal["build"], outline=LINE, width=lw)
                colour = NEON[j % len(NEON)]
                d.polygon([(x - fw * 0.01, top), (x + fw * 0.16, top), (x + fw * 0.15, top - fh * 0.05),
                           (x, top - fh * 0.05)], fill=colour)
                d.rectangle((x + fw * 0.02, top + fh * 0.02, x + fw * 0.13, top + fh * 0.05), fill=pal["lit"])
            for j in range(14):
                x = fx + fw * (0.04 + 0.07 * j)
                y = fy + fh * (0.08 + 0.03 * math.sin(j * 0.9))
                d.ellipse((x, y, x + fw * 0.02, y + fw * 0.02), fill=(236, 70, 56))
    elif place in ("sea", "beach", "riverside"):
        water = pal["water"]
        if place == "riverside":  # grass in front, the river beyond, a far bank
            d.rectangle((0, hy, W, hy + fh * 0.12), fill=water)
            d.rectangle((0, hy + fh * 0.12, W, H), fill=pal["grass"])
            d.line((0, hy + fh * 0.12, W, hy + fh * 0.12), fill=LINE, width=lw)
            for _ in range(int(120 * W / max(fw, 1))):
                x = rng.uniform(0, W)
                y = hy + fh * 0.12 + (H - hy - fh * 0.12) * rng.random()
                s = fh * 0.01 * (1 + 3 * (y - hy) / max(H - hy, 1))
                d.line((x, y, x + s * 0.3, y - s), fill=_mix(pal["grass"], LINE, 0.35), width=lw)
        else:
            d.rectangle((0, hy, W, H), fill=water)
            if place == "beach":
                d.polygon([(0, hy + fh * 0.28), (W, hy + fh * 0.16), (W, H), (0, H)], fill=(230, 214, 176)
                          if lay.light == "day" else _mix((230, 214, 176), GROUND, 0.5))
            for _ in range(int(50 * W / max(fw, 1))):
                x = rng.uniform(0, W)
                y = hy + (fh * 0.25) * rng.random() ** 1.6
                s = fw * 0.01 * (1 + 4 * (y - hy) / max(H - hy, 1))
                d.arc((x, y, x + s * 2, y + s), 200, 340, fill=FAINT, width=lw)
        d.line((0, hy, W, hy), fill=LINE, width=lw)
    elif place in ("hills", "park", "road"):
        pts = [(0.0, hy)]
        x = 0.0
        while x < W:
            x += fw * rng.uniform(0.08, 0.2)
            pts.append((x, hy - fh * rng.uniform(0.03, 0.16 if place != "hills" else 0.24)))
        pts.append((W, hy))
        d.polygon(pts + [(W, hy + 1), (0, hy + 1)], fill=_mix(pal["grass"], pal["sky"], 0.4), outline=FAINT)
        d.rectangle((0, hy, W, H), fill=pal["grass"] if place != "hills" else GROUND)
        if place == "road":  # a lane running to the vanishing point, trees along it
            d.polygon([(vx - fw * 0.02, hy), (vx + fw * 0.02, hy), (vx + fw * 0.55, H), (vx - fw * 0.55, H)],
                      fill=_mix(GROUND, LINE, 0.2))
            for s in (-1, 1):
                for i in range(6):
                    t = ((i + 1) / 6) ** 1.7
                    th = fh * (0.08 + 0.5 * t)
                    tx = vx + s * fw * (0.06 + 0.6 * t)
                    draw_object(d, "tree", (tx - th * 0.4, hy + (H - hy) * t * 0.4 - th,
                                            tx + th * 0.4, hy + (H - hy) * t * 0.4),
                                _mix((96, 132, 88), pal["sky_top"], 0.3 if lay.light == "day" else 0.6))
        else:
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
    _draw_things(d, F, lay, "set")


# Each object keeps one colour in every shot (then the light tints it).
OBJECT_COLOURS = {"kettle": (156, 162, 170), "grinder": (132, 100, 76), "pour_over": (236, 236, 230),
                  "cup": (232, 226, 214), "glass": (200, 222, 232), "wine_glass": (200, 222, 232),
                  "bottle": (120, 170, 160), "can": (190, 196, 204), "bag": (170, 130, 90), "box": (200, 170, 120),
                  "tree": (96, 140, 88), "sun": (246, 190, 70), "moon": (236, 232, 200), "steam": (250, 250, 250),
                  "bubbles": (255, 255, 255), "fridge": (226, 230, 234), "tram": (200, 80, 64),
                  "bus": (210, 150, 60), "car": (90, 120, 160), "cyclist": (70, 90, 110), "bicycle": (80, 170, 150),
                  "shop": (150, 120, 100), "stall": (170, 90, 70), "basket": (176, 136, 84), "blanket": (200, 96, 90),
                  "umbrella": (220, 110, 90), "phone": (50, 54, 60), "laptop": (90, 94, 100), "hand": (214, 176, 150)}


def _colour(key: str, pal: dict) -> tuple[int, int, int]:
    import hashlib

    base = OBJECT_COLOURS.get(key)
    if base is None:
        v = int(hashlib.sha256(key.encode()).hexdigest(), 16)
        base = (110 + v % 90, 110 + (v >> 8) % 90, 110 + (v >> 16) % 90)
    if key in ("sun", "steam", "bubbles") or pal is PALETTES["day"]:
        return base
    return _mix(base, pal["sky_top"], 1 - pal["tint"])


def _draw_things(d: ImageDraw.ImageDraw, F, lay: Layout, layer: str) -> None:
    pal = palette(lay)
    for t in lay.things:
        if t.layer != layer:
            continue
        if t.key == "window":  # seen from outside, lit in the dark; from inside, the sky
            outside = (t.box[2] - t.box[0]) < 0.05
            colour = pal["lit"] if outside and lay.light != "day" else _mix(pal["sky_top"], pal["sky"], 0.6)
            draw_object(d, "window", _box(F, t.box), colour, pal["line"])
        elif t.key == lay.product_kind and lay.product_mark is not None:
            draw_object(d, product_icon(t.key), _box(F, t.box), lay.product_colour, pal["figure_dark"],
                        mark=lay.product_mark)
        else:
            draw_object(d, t.key, _box(F, t.box), _colour(t.key, pal), pal["figure_dark"])


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
                 overhead: bool, dark: bool = False, legs: str = "stand", arms: str = "rest",
                 pal: dict | None = None) -> None:
    """A mannequin, head top at (x, top), ``hpx`` tall; body units 0 (head top) .. 1 (feet). ``legs`` (stand, walk,
    run, sit, ride) and ``arms`` (rest, hold, pour, drink, raise) pose it; the right arm reaches ``HANDS[arms]``."""
    pal = pal or PALETTES["day"]
    fill = pal["figure_dark"] if dark else pal["figure"]
    out = pal["figure_dark"]
    lw = max(1, round(min(hpx, frame_h) * 0.005))
    if legs == "sit":
        top += hpx * 0.2  # seated: the head lower, the seat on the ground

    def P(u: float, v: float) -> tuple[float, float]:
        return (x + u * hpx, top + v * hpx)

    def limb(a, b, c, width):  # upper and lower segment, rounded joints
        pts = [P(*a), P(*b), P(*c)]
        wpx = max(2, round(width * hpx))
        d.line(pts, fill=fill, width=wpx, joint="curve")
        for px, py in pts[1:]:
            r = wpx / 2
            d.ellipse((px - r, py - r, px + r, py + r), fill=fill)

    if overhead:  # seen from above: shoulders and a head
        d.ellipse((*P(-0.14, 0.3), *P(0.14, 0.44)), fill=fill, outline=out, width=lw)
        d.ellipse((*P(-0.055, 0.31), *P(0.055, 0.43)), fill=_mix(fill, out, 0.3), outline=out, width=lw)
        return
    # legs, torso, arms, neck, head (back to front)
    if legs == "stand":
        for sgn in (-1, 1):
            d.polygon([P(sgn * 0.012, 0.5), P(sgn * 0.095, 0.5), P(sgn * 0.075, 0.97), P(sgn * 0.03, 0.97)],
                      fill=fill, outline=out, width=lw)
            d.ellipse((*P(sgn * 0.055 - 0.045, 0.955), *P(sgn * 0.055 + 0.045, 1.0)), fill=fill, outline=out,
                      width=lw)
    else:
        stride = {"walk": 0.14, "run": 0.24}.get(legs, 0.0)
        if legs in ("walk", "run"):
            limb((-0.03, 0.5), (-stride * 0.6, 0.74), (-stride, 0.97), 0.075)
            limb((0.03, 0.5), (stride * 0.7, 0.72 if legs == "walk" else 0.66), (stride * 0.9, 0.97), 0.075)
        elif legs == "sit":
            limb((-0.03, 0.5), (0.2, 0.52), (0.22, 0.76), 0.08)
            limb((0.03, 0.5), (0.24, 0.5), (0.28, 0.74), 0.08)
        else:  # ride: one knee up, one leg down to the pedal
            limb((-0.02, 0.5), (0.16, 0.6), (0.1, 0.8), 0.075)
            limb((0.02, 0.5), (0.1, 0.7), (0.06, 0.95), 0.075)
    d.polygon([P(-0.125, 0.17), P(0.125, 0.17), P(0.088, 0.42), P(0.105, 0.52), P(-0.105, 0.52), P(-0.088, 0.42)],
              fill=fill, outline=out, width=lw)
    d.ellipse((*P(-0.13, 0.148), *P(0.13, 0.2)), fill=fill)  # rounded shoulders
    d.arc((*P(-0.13, 0.148), *P(0.13, 0.2)), 180, 360, fill=out, width=lw)
    for sgn in (-1, 1):
        if sgn > 0 and arms != "rest":
            hx, hy = HANDS[arms]
            elbow = {"hold": (0.2, 0.32), "pour": (0.2, 0.3), "drink": (0.2, 0.28), "raise": (0.24, 0.1)}[arms]
            limb((0.11, 0.19), elbow, (hx, hy), 0.055)
            d.ellipse((*P(hx - 0.028, hy - 0.028), *P(hx + 0.028, hy + 0.028)), fill=fill, outline=out, width=lw)
            continue
        if legs == "ride":  # both hands forward on the handlebars
            limb((sgn * 0.11, 0.19), (sgn * 0.05 + 0.16, 0.32), (0.26, 0.38), 0.05)
            continue
        d.polygon([P(sgn * 0.095, 0.17), P(sgn * 0.14, 0.18), P(sgn * 0.142, 0.47), P(sgn * 0.108, 0.47),
                   P(sgn * 0.1, 0.26)], fill=fill, outline=out, width=lw)
        d.ellipse((*P(sgn * 0.125 - 0.024, 0.455), *P(sgn * 0.125 + 0.024, 0.51)), fill=fill, outline=out, width=lw)
    d.rectangle((*P(-0.024, 0.115), *P(0.024, 0.16)), fill=fill)
    d.line((*P(-0.024, 0.118), *P(-0.024, 0.152)), fill=out, width=lw)
    d.line((*P(0.024, 0.118), *P(0.024, 0.152)), fill=out, width=lw)
    head = _mix(fill, (255, 255, 255), 0.25) if not dark else fill
    d.ellipse((*P(-0.052, 0.0), *P(0.052, 0.13)), fill=head, outline=out, width=max(lw, 1))
    if face:
        ew = max(1, round(min(hpx * 0.0035, frame_h * 0.012)))
        for s in (-1, 1):  # eyes, brows
            d.ellipse((*P(s * 0.021 - 0.009, 0.058), *P(s * 0.021 + 0.009, 0.066)), fill=out)
            d.arc((*P(s * 0.021 - 0.014, 0.046), *P(s * 0.021 + 0.014, 0.06)), 200, 340, fill=out, width=ew)
        d.line((*P(0.0, 0.07), *P(-0.006, 0.088)), fill=out, width=ew)  # nose
        d.line((*P(-0.006, 0.088), *P(0.004, 0.089)), fill=out, width=ew)
        d.arc((*P(-0.018, 0.093), *P(0.018, 0.106)), 20, 160, fill=out, width=ew)  # mouth


def draw_product(d: ImageDraw.ImageDraw, x: float, bottom: float, hpx: float, surface: bool = True,
                 lay: Layout | None = None) -> None:
    """The bible's product as its kind (bag, bottle, can, box, phone, ...) in its own colours, on a surface or held."""
    pal = palette(lay) if lay is not None else PALETTES["day"]
    lw = max(1, round(hpx * 0.008))
    if surface:
        d.line((x - hpx * 0.9, bottom, x + hpx * 0.9, bottom), fill=pal["line"], width=lw)  # table edge
        d.ellipse((x - hpx * 0.25, bottom - hpx * 0.03, x + hpx * 0.25, bottom + hpx * 0.03),
                  fill=_mix(pal["ground"], pal["line"], 0.2))
    kind = lay.product_kind if lay is not None else "bottle"
    colour = lay.product_colour if lay is not None else PRODUCT
    mark = lay.product_mark if lay is not None else ACCENT
    wide = {"car": 1.8, "shoe": 1.4, "box": 0.8, "bag": 0.7, "laptop": 1.3}.get(kind, 0.5)
    draw_object(d, product_icon(kind), (x - hpx * wide / 2, bottom - hpx, x + hpx * wide / 2, bottom), colour,
                pal["figure_dark"], mark=mark)


def draw_subject(d: ImageDraw.ImageDraw, F, lay: Layout) -> None:
    fx, fy, fw, fh = F
    if lay.card is not None:
        return
    pal = palette(lay)
    k_over = lay.horizon is None
    under = [t for t in lay.things if t.layer == "subject" and t.key == "bicycle"]
    if under:  # the bicycle under its rider
        Layout_things = lay.things
        lay.things = under
        _draw_things(d, F, lay, "subject")
        lay.things = Layout_things
    for i, (xf, topf, body) in enumerate(lay.figures):
        legs, arms = lay.poses[i] if i < len(lay.poses) else ("stand", "rest")
        draw_figure(d, fx + fw * xf, fy + fh * topf, fh * body, fh, lay.face_detail, k_over, legs=legs, arms=arms,
                    pal=pal)
    if lay.ots:  # the foreground shoulder we look over, dark and big
        x = fx + fw * (0.5 + (0.5 - lay.figures[0][0]) * 1.9)
        draw_figure(d, x, fy + fh * 0.45, fh * 3.2, fh, "", False, dark=True, pal=pal)
    if lay.product:
        xf, bf, hf = lay.product
        draw_product(d, fx + fw * xf, fy + fh * bf, fh * hf, surface=not lay.product_in_hand,
                     lay=lay)
    rest = [t for t in lay.things if t.layer == "subject" and t.key != "bicycle"]
    saved = lay.things
    lay.things = rest
    _draw_things(d, F, lay, "subject")
    lay.things = saved
    _draw_things(d, F, lay, "front")  # close on a rider: the handlebars in front of her



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

