"""One still per shot for the sheet and the page: a frame from the shot's clip, or the drawn panel.

With rendered clips, the still is the clip's middle frame (the bundled ffmpeg seeks and decodes one frame) and the
camera move is drawn on top as storyboard artists do: arrows into a smaller frame for a push-in, a sweeping arrow
for a pan, a curve for an arc. Without clips (shots.json alone) it is ``render.panel.draw_panel``, which draws the
move marks itself.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from briefreel.render.base import FRAME_SIZES
from briefreel.storyboard.schema import Shot, Storyboard

ARROW = (255, 84, 44, 255)  # storyboard red-orange
OUTLINE = (20, 20, 20, 170)


@dataclass
class ClipInfo:
    """What ffmpeg reports about a clip file."""

    duration_s: float | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool = False

    def frames(self, fps: int) -> int | None:
        return None if self.duration_s is None else int(round(self.duration_s * fps))


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _parse_info(stderr: str) -> ClipInfo:
    info = ClipInfo()
    m = re.search(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)", stderr)
    if m:
        info.duration_s = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    for line in stderr.splitlines():
        if "Stream #0" not in line:
            continue
        if "Video:" in line and info.width is None:
            size = re.search(r",\s*(\d{2,5})x(\d{2,5})[\s,\[]", line)
            if size:
                info.width, info.height = int(size.group(1)), int(size.group(2))
            rate = re.search(r"([\d.]+)\s*fps", line)
            if rate:
                info.fps = float(rate.group(1))
        elif "Audio:" in line:
            info.has_audio = True
    return info


def grab_frame(clip: Path, at_s: float, width: int) -> tuple[Image.Image | None, ClipInfo]:
    """Decode the frame at ``at_s`` seconds of ``clip``, scaled to ``width`` pixels; also report the clip's info."""
    image, info = None, ClipInfo()
    for seek in (max(0.0, at_s), 0.0):
        cmd = [_ffmpeg(), "-hide_banner", "-nostdin", "-ss", f"{seek:.3f}", "-i", str(clip), "-frames:v", "1",
               "-vf", f"scale={int(width)}:-2", "-f", "image2pipe", "-c:v", "png", "-"]
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
        info = _parse_info(proc.stderr.decode("utf-8", "replace"))
        if proc.returncode == 0 and proc.stdout:
            image = Image.open(io.BytesIO(proc.stdout)).convert("RGB")
            break
    return image, info


def probe(clip: Path) -> ClipInfo:
    """Duration, frame rate, size and audio of a clip (no decoding)."""
    proc = subprocess.run([_ffmpeg(), "-hide_banner", "-nostdin", "-i", str(clip)], capture_output=True, timeout=60)
    return _parse_info(proc.stderr.decode("utf-8", "replace"))


def panel(shot: Shot, board: Storyboard, width: int, height: int) -> tuple[Image.Image, bool]:
    """The drawn storyboard panel of the panel renderer (``render.panel.draw_panel``, which marks the move itself);
    True when the move is already drawn on it."""
    try:
        from briefreel.render.panel import draw_panel
    except ImportError:  # the panel renderer is not in this tree: a plain card keeps the exports working
        return _plain_card(shot, width, height), False
    return draw_panel(shot, board, width, height, clean=True).convert("RGB"), True


def _plain_card(shot: Shot, width: int, height: int) -> Image.Image:
    from briefreel.render.fonts import font

    img = Image.new("RGB", (width, height), (58, 62, 70))
    d = ImageDraw.Draw(img)
    f = font(max(12, height // 6))
    text = f"{shot.id} · {shot.size.value}"
    d.text(((width - f.getlength(text)) / 2, height / 2 - f.size / 2), text, font=f, fill=(220, 222, 226))
    return img


def still(shot: Shot, board: Storyboard, clip: Path | None, width: int, *, drawn: bool = False
          ) -> tuple[Image.Image, ClipInfo | None, Image.Image]:
    """The still for ``shot`` at ``width`` pixels (aspect of the board) with its move drawn on, the clip's info,
    and the same picture without the move marks.

    The sheet and the page take clean pictures: the panel renderer's clips carry the animatic's label chip and
    caption burned in, so with ``drawn`` (the clips came from the panel renderer) the still is the clean drawn
    panel and the clip is only probed for its info."""
    fw, fh = FRAME_SIZES[board.aspect_ratio]
    height = int(round(width * fh / fw))
    img, info = None, None
    if clip is not None and Path(clip).is_file():
        if drawn:
            info = probe(Path(clip))
        else:
            img, info = grab_frame(Path(clip), shot.duration_s / 2, width)
    marked = False
    if img is None:
        img, marked = panel(shot, board, fw, fh)
    if img.size != (width, height):
        img = img.resize((width, height), Image.LANCZOS)
    return (img if marked else draw_move(img, shot.movement.value)), info, img


# -- camera-move arrows ---------------------------------------------------------------------------------------------

def _arc(cx, cy, rx, ry, t0, t1, n=28):
    return [(cx + rx * math.cos(t0 + (t1 - t0) * i / n), cy + ry * math.sin(t0 + (t1 - t0) * i / n)) for i in range(n + 1)]


def _bow(p0, p1, bend, n=24):
    """A gentle curve from p0 to p1 bulging by ``bend`` (fraction of the length) to the left of travel."""
    (x0, y0), (x1, y1) = p0, p1
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    nx, ny = -(y1 - y0), (x1 - x0)
    cx, cy = mx + nx * bend, my + ny * bend
    pts = []
    for i in range(n + 1):
        t = i / n
        pts.append(((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                    (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1))
    return pts


def _corners(a: float):
    return [(a, a), (1 - a, a), (1 - a, 1 - a), (a, 1 - a)]


def move_paths(movement: str) -> tuple[list[list[tuple[float, float]]], list[tuple[float, float]] | None]:
    """Arrow paths (normalised 0..1 frame coordinates, head at the last point) and an optional end-frame box."""
    inner, outer = 0.3, 0.1
    box = [(inner, inner), (1 - inner, 1 - inner)]
    inward = [[o, i] for o, i in zip(_corners(outer), _corners(inner + 0.02))]
    outward = [[i, o] for o, i in zip(_corners(outer), _corners(inner))]
    mid = 0.5
    table = {
        "push": (inward, box),
        "pull": (outward, box),
        "pan_right": ([_bow((0.2, 0.55), (0.8, 0.55), 0.12)], None),
        "pan_left": ([_bow((0.8, 0.55), (0.2, 0.55), -0.12)], None),
        "truck_right": ([[(0.2, mid), (0.8, mid)]], None),
        "truck_left": ([[(0.8, mid), (0.2, mid)]], None),
        "tilt_up": ([_bow((0.5, 0.8), (0.5, 0.2), -0.12)], None),
        "tilt_down": ([_bow((0.5, 0.2), (0.5, 0.8), 0.12)], None),
        "up": ([[(0.5, 0.8), (0.5, 0.2)]], None),
        "down": ([[(0.5, 0.2), (0.5, 0.8)]], None),
        "crane_up": ([_bow((0.35, 0.82), (0.62, 0.18), -0.25)], None),
        "crane_down": ([_bow((0.35, 0.18), (0.62, 0.82), 0.25)], None),
        "arc": ([_arc(0.5, 0.56, 0.34, 0.2, math.pi * 0.95, math.pi * 0.05)], None),
        "roll": ([_arc(0.5, 0.5, 0.22, 0.3, -math.pi * 0.35, math.pi * 1.35, 40)], None),
        "whip_pan": ([[(0.12, 0.5), (0.88, 0.5)], [(0.22, 0.38), (0.5, 0.38)], [(0.22, 0.62), (0.5, 0.62)]], None),
        "follow": ([[(0.22, 0.72), (0.78, 0.72)]], None),
        "handheld": ([[(0.25 + 0.5 * i / 10, 0.5 + (0.05 if i % 2 else -0.05)) for i in range(11)]], None),
        "aerial": ([_bow((0.15, 0.85), (0.8, 0.25), 0.15)], None),
        "dolly_zoom": (inward + [[(0.5, 0.32), (0.5, 0.12)], [(0.5, 0.68), (0.5, 0.88)]], box),
    }
    alias = {
        "push_in": "push", "dolly_in": "push", "zoom_in": "push",
        "pull_out": "pull", "dolly_out": "pull", "zoom_out": "pull",
        "pan": "pan_right", "tilt": "tilt_up",
        "pedestal_up": "up", "pedestal_down": "down",
    }
    return table.get(alias.get(movement, movement), ([], None))


def draw_move(img: Image.Image, movement: str) -> Image.Image:
    """Draw the camera move on a copy of ``img`` (static shots are returned unchanged)."""
    paths, box = move_paths(movement)
    if not paths:
        return img
    scale = 2  # draw large, then downsample: smooth edges
    w, h = img.size
    layer = Image.new("RGBA", (w * scale, h * scale), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    lw = max(3, int(round(min(w, h) * 0.024 * scale)))

    def px(p):
        return (p[0] * w * scale, p[1] * h * scale)

    if box is not None:
        (x0, y0), (x1, y1) = px(box[0]), px(box[1])
        for color, width in ((OUTLINE, lw // 2 + 4), (ARROW, max(2, lw // 2))):
            d.rectangle((x0, y0, x1, y1), outline=color, width=width)
    for color, extra in ((OUTLINE, 4 * scale), (ARROW, 0)):
        for path in paths:
            pts = [px(p) for p in path]
            head = lw * 3.0
            (xa, ya), (xb, yb) = pts[-2], pts[-1]
            ang = math.atan2(yb - ya, xb - xa)
            # stop the shaft under the head so its end does not poke through the tip
            shaft_end = (xb - math.cos(ang) * head * 0.6, yb - math.sin(ang) * head * 0.6)
            d.line(pts[:-1] + [shaft_end], fill=color, width=lw + extra, joint="curve")
            tip = (xb + math.cos(ang) * extra * 0.6, yb + math.sin(ang) * extra * 0.6)
            spread = 0.45 + (0.05 if extra else 0)
            hl = head + extra
            left = (tip[0] - hl * math.cos(ang - spread), tip[1] - hl * math.sin(ang - spread))
            right = (tip[0] - hl * math.cos(ang + spread), tip[1] - hl * math.sin(ang + spread))
            d.polygon([tip, left, right], fill=color)
    layer = layer.resize((w, h), Image.LANCZOS)
    out = img.convert("RGBA")
    out.alpha_composite(layer)
    return out.convert("RGB")
