"""The stage: everything needed to paint any frame of one panel shot (canvas + camera + overlay = frames).

    stage = Stage(shot, board, 1280, 720, seed=7)
    stage.frame(0.5)                # RGB picture with labels and caption, halfway through the move
    for data in stage.frame_bytes(72): writer.write_bytes(data)   # yuv420p frames for the encoder

The set and subject are drawn once, on a canvas big enough for the whole move and sharp at its tightest zoom; each
frame is a sub-pixel resample of it (an affine warp when the camera rolls), the subject layer blended on top when
the move has parallax, the fixed overlay blended last.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

try:  # optional: ~3x faster warps; the PIL fallback gives the same frames within a level or two
    import cv2

    cv2.setNumThreads(1)  # shots render in parallel processes; ffmpeg takes the other core
except ImportError:  # pragma: no cover
    cv2 = None

from briefreel.render.camera import View, camera_path
from briefreel.render.labels import value
from briefreel.render.overlay import overlay
from briefreel.render.panel_draw import PAPER, draw_background, draw_subject
from briefreel.render.panel_layout import layout
from briefreel.render.seeds import shot_seed
from briefreel.storyboard.schema import Shot, Storyboard

__all__ = ["Stage"]


class Stage:
    """Everything needed to paint any frame of one shot.

    ``picture(t)`` gives an RGB image (for stills); ``planes(t)`` gives the video frame as yuv420p planes, which
    is what the renderer pipes to the encoder: the canvas is converted to Y/Cb/Cr once, then every frame is three
    8-bit sub-pixel resizes plus the pre-converted overlay tiles.
    """

    MAX_SHARPNESS = 1.5  # canvas pixels per output pixel, at most

    def __init__(self, shot: Shot, board: Storyboard, w: int, h: int, *, seed: int | None = None,
                 index: int | None = None, captions: bool = True, desc_lines: int = 2, labels: bool = True):
        self.w, self.h = w, h
        self.seed = shot_seed(shot) if seed is None else seed
        if index is None:
            index = next((i for i, s in enumerate(board.shots) if s.id == shot.id), 0)
        self.layout = layout(shot, board, w, h, index)
        self.path = camera_path(shot, w, h, self.layout.focus, self.seed, shot.duration_s)
        self._build_canvas(shot, board)
        self.overlay = overlay(shot, board, w, h, desc_lines=desc_lines, caption=captions, labels=labels)
        self._yuv = None
        self._sprite_view = None

    # The canvas covers every view of the move, drawn sharp enough for the tightest one.
    def _build_canvas(self, shot: Shot, board: Storyboard) -> None:
        w, h = self.w, self.h
        xs, ys, zmax = [], [], 1.0
        for i in range(49):
            for v in self.path.views(i / 48):
                if v is None:
                    continue
                zmax = max(zmax, v.z)
                c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
                for px, py in ((-w / 2, -h / 2), (w / 2, -h / 2), (-w / 2, h / 2), (w / 2, h / 2)):
                    qx, qy = px / v.z, py / v.z
                    xs.append(v.cx + c * qx + s * qy)
                    ys.append(v.cy - s * qx + c * qy)
        m = 4.0  # a few pixels of margin for the resampling kernel
        self.minx, self.miny = min(xs + [-w / 2]) - m, min(ys + [-h / 2]) - m
        maxx, maxy = max(xs + [w / 2]) + m, max(ys + [h / 2]) + m
        # Canvas resolution: the geometric mean of the zoom range keeps both ends within sqrt(zmax) of 1:1.
        self.k = k = min(self.MAX_SHARPNESS, math.sqrt(zmax))
        size = (math.ceil((maxx - self.minx) * k), math.ceil((maxy - self.miny) * k))
        size = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        F = ((-w / 2 - self.minx) * k, (-h / 2 - self.miny) * k, w * k, h * k)
        rng = random.Random(self.seed)
        self.canvas = Image.new("RGB", size, PAPER)
        draw_background(ImageDraw.Draw(self.canvas), size, F, self.layout, rng, k)
        self.subject = None
        if self.path.subject is None:
            draw_subject(ImageDraw.Draw(self.canvas), F, self.layout)
            if value(shot.movement) == "whip_pan":  # a whip lands on a second subject, a frame or so away
                dx = (self.path.view(1.0).cx - self.path.view(0.0).cx) * k
                draw_subject(ImageDraw.Draw(self.canvas), (F[0] + dx, F[1], F[2], F[3]), self.layout)
        else:
            layer = Image.new("RGBA", size, (0, 0, 0, 0))
            draw_subject(ImageDraw.Draw(layer), F, self.layout)
            bb = layer.getbbox()
            if bb:
                # The sprite keeps a transparent margin so every resampling box stays inside it.
                pad = 16
                x0, y0 = bb[0] - pad - (bb[0] - pad) % 2, bb[1] - pad - (bb[1] - pad) % 2
                x1, y1 = bb[2] + pad, bb[3] + pad
                x1, y1 = x1 + (x1 - x0) % 2, y1 + (y1 - y0) % 2
                self.subject = (x0, y0, layer.crop((x0, y0, x1, y1)))  # canvas offset, RGBA sprite
                self._inner = (x0 + pad, y0 + pad, x1 - pad, y1 - pad)

    # -- geometry: output pixel <-> canvas pixel (s = plane subsampling: 1 for RGB and Y, 2 for chroma) ----------
    def _to_canvas(self, v: View, x: float, y: float) -> tuple[float, float]:
        c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        qx, qy = (x - self.w / 2) / v.z, (y - self.h / 2) / v.z
        return (self.k * (v.cx - self.minx + c * qx + s * qy), self.k * (v.cy - self.miny - s * qx + c * qy))

    def _to_output(self, v: View, X: float, Y: float) -> tuple[float, float]:
        c, s = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        px, py = X / self.k + self.minx - v.cx, Y / self.k + self.miny - v.cy
        qx, qy = c * px - s * py, s * px + c * py
        return (qx * v.z + self.w / 2, qy * v.z + self.h / 2)

    def _warp(self, img: Image.Image, v: View, s: int, rect: tuple[int, int, int, int], origin=(0.0, 0.0)):
        """The part ``rect`` (plane pixels) of the view ``v`` of ``img``, whose top left sits at canvas ``origin``."""
        x0, y0, x1, y1 = rect
        if abs(v.rot) < 1e-3:
            X0, Y0 = self._to_canvas(v, x0 * s, y0 * s)
            X1, Y1 = self._to_canvas(v, x1 * s, y1 * s)
            box = ((X0 - origin[0]) / s, (Y0 - origin[1]) / s, (X1 - origin[0]) / s, (Y1 - origin[1]) / s)
            return img.resize((x1 - x0, y1 - y0), Image.BILINEAR, box=box)
        c, sn = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        a, b, d, e = self.k * c / v.z, self.k * sn / v.z, -self.k * sn / v.z, self.k * c / v.z
        X0, Y0 = self._to_canvas(v, x0 * s, y0 * s)
        data = (a, b, (X0 - origin[0]) / s, d, e, (Y0 - origin[1]) / s)
        return img.transform((x1 - x0, y1 - y0), Image.AFFINE, data, resample=Image.BILINEAR)

    def _subject_rect(self, v: View, s: int) -> tuple[int, int, int, int] | None:
        """Plane pixels covered by the subject sprite under view ``v`` (None when off screen)."""
        ix0, iy0, ix1, iy1 = self._inner
        pts = [self._to_output(v, X, Y) for X in (ix0, ix1) for Y in (iy0, iy1)]
        W, H = self.w // s, self.h // s
        rx0 = max(0, math.floor(min(p[0] for p in pts) / s) - 1)
        ry0 = max(0, math.floor(min(p[1] for p in pts) / s) - 1)
        rx1 = min(W, math.ceil(max(p[0] for p in pts) / s) + 1)
        ry1 = min(H, math.ceil(max(p[1] for p in pts) / s) + 1)
        return (rx0, ry0, rx1, ry1) if rx1 > rx0 and ry1 > ry0 else None

    @staticmethod
    def _blur(img: Image.Image, n: float) -> Image.Image:
        """Horizontal motion blur about ``n`` pixels long: squeeze along x, stretch back."""
        w, h = img.size
        return img.resize((max(8, round(w / n)), h), Image.BILINEAR).resize((w, h), Image.BILINEAR)

    # -- frames ---------------------------------------------------------------------------------------------------
    def picture(self, t: float) -> Image.Image:
        """The camera's picture at ``t`` in [0, 1] as RGB, without labels."""
        v, sv = self.path.views(t)
        frame = self._warp(self.canvas, v, 1, (0, 0, self.w, self.h))
        if sv is not None and self.subject is not None:
            rect = self._subject_rect(sv, 1)
            if rect:
                x0, y0, sprite = self.subject
                part = self._warp(sprite, sv, 1, rect, origin=(x0, y0))
                frame.paste(part, rect[:2], part)
        if v.blur >= 1.5:
            frame = self._blur(frame, min(v.blur, self.w / 8))
        return frame

    def frame(self, t: float) -> Image.Image:
        """The video frame at ``t`` in [0, 1] as RGB: picture, labels and caption."""
        return Image.alpha_composite(self.picture(t).convert("RGBA"), self.overlay).convert("RGB")

    # -- video frames: yuv420p planes painted straight into the encoder's buffer ----------------------------------
    def _matrix(self, v: View, s: int, ox: int = 0, oy: int = 0, origin=(0.0, 0.0)) -> np.ndarray:
        """Inverse map, pixel centre to pixel centre, from a plane's output pixel to its source plane pixel.

        ``s`` is the plane's subsampling (1 for Y, 2 for Cb/Cr), ``(ox, oy)`` the output rect's corner in plane
        pixels and ``origin`` the source image's corner on the canvas (full-resolution pixels).
        """
        k, w, h = self.k, self.w, self.h
        c, sn = math.cos(math.radians(v.rot)), math.sin(math.radians(v.rot))
        a, b, d, e = k * c / v.z, k * sn / v.z, -k * sn / v.z, k * c / v.z
        c0 = k * (v.cx - self.minx) - a * w / 2 - b * h / 2  # full-resolution pixel edges
        f0 = k * (v.cy - self.miny) - d * w / 2 - e * h / 2
        return np.array([[a, b, (c0 - origin[0]) / s + a * (ox + 0.5) + b * (oy + 0.5) - 0.5],
                         [d, e, (f0 - origin[1]) / s + d * (ox + 0.5) + e * (oy + 0.5) - 0.5]])

    def _prepare_yuv(self) -> None:
        from briefreel.render.ffmpeg import Overlay420, premultiply, rgb_to_yuv420

        self._canvas420 = [np.ascontiguousarray(np.asarray(p)) for p in rgb_to_yuv420(self.canvas)]
        self._sprite420 = None
        if self.subject is not None:
            _, _, spr = self.subject
            a = spr.getchannel("A")
            planes = rgb_to_yuv420(spr.convert("RGB"))
            alphas = (a, a.reduce(2), a.reduce(2))
            # Premultiplied colour and 255 - alpha per plane: warped as they are, blended with two SIMD passes.
            self._sprite420 = [premultiply(np.asarray(p), np.asarray(al)) for p, al in zip(planes, alphas)]
        self._overlay420 = Overlay420(self.overlay)
        self._yuv = True

    def _subject_tiles(self, sv: View):
        """The subject under its view, per plane: (rect, premultiplied tile, 255 - alpha). Cached while the view
        holds."""
        if self._sprite_view == sv:
            return self._sprite_tiles
        x0, y0, _ = self.subject
        tiles = []
        for i, (pre, inv) in enumerate(self._sprite420):
            s = 1 if i == 0 else 2
            rect = self._subject_rect(sv, s)
            if rect is None:
                tiles.append(None)
                continue
            rw, rh = rect[2] - rect[0], rect[3] - rect[1]
            m = self._matrix(sv, s, rect[0], rect[1], origin=(x0, y0))
            pre_t, inv_t = np.empty((rh, rw), np.uint8), np.empty((rh, rw), np.uint8)
            # The sprite's transparent margin (16 px) is wider than any read past its edge, so repeating the
            # edge is the same as filling with "transparent": the fast translation path applies.
            _warp(pre, m, pre_t, border=None)
            _warp(inv, m, inv_t, border=None)
            tiles.append((rect, pre_t, inv_t))
        self._sprite_view, self._sprite_tiles = sv, tiles
        return tiles

    def paint(self, t: float, frame) -> None:
        """Paint the video frame at ``t`` in [0, 1] into ``frame`` (a ``render.ffmpeg.Frame420``)."""
        from briefreel.render.ffmpeg import blend_into

        if self._yuv is None:
            self._prepare_yuv()
        v, sv = self.path.views(t)
        tiles = self._subject_tiles(sv) if (self._sprite420 is not None and sv is not None) else None
        for i, (src, dst) in enumerate(zip(self._canvas420, frame.planes)):
            s = 1 if i == 0 else 2
            _warp(src, self._matrix(v, s), dst, border=None)
            if tiles and tiles[i]:
                (x0, y0, x1, y1), pre, inv = tiles[i]
                blend_into(dst[y0:y1, x0:x1], pre, inv)
            if v.blur >= 1.5:
                n = max(1, round(min(v.blur, self.w / 8) / s))
                _box_blur_x(dst, n)
        self._overlay420.blend(*frame.planes)

    def planes(self, t: float) -> list[np.ndarray]:
        """The video frame at ``t`` as yuv420p planes [Y, Cb, Cr] (copies)."""
        from briefreel.render.ffmpeg import Frame420

        f = Frame420(self.w, self.h)
        self.paint(t, f)
        return [p.copy() for p in f.planes]

    def frame_bytes(self, frames: int):
        """Yield ``frames`` yuv420p frames spanning the move, each a view of one reused buffer: consume it before
        asking for the next. A still shot is painted once."""
        from briefreel.render.ffmpeg import Frame420

        f = Frame420(self.w, self.h)
        if self.path.still:
            self.paint(0.0, f)
            for _ in range(frames):
                yield f.data()
            return
        for i in range(frames):
            self.paint(i / (frames - 1) if frames > 1 else 0.0, f)
            yield f.data()


def _warp(src: np.ndarray, m: np.ndarray, dst: np.ndarray, border: int | None) -> None:
    """``dst[y, x] = src(m @ [x, y, 1])``, bilinear; border None repeats the edge, a number fills with it.

    OpenCV's warpAffine is ~3x faster than PIL here; PIL's affine transform is the fallback without it.
    """
    h, w = dst.shape
    if cv2 is not None:
        (a, b, c), (d, e, f) = m
        if border is None and a == e == 1.0 and b == d == 0.0:
            # Pure sub-pixel translation (pans, tilts, trucks): ~10x cheaper than a general warp, same pixels.
            cv2.getRectSubPix(src, (w, h), (c + (w - 1) / 2, f + (h - 1) / 2), patch=dst)
            return
        if border is None:
            cv2.warpAffine(src, m, (w, h), dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
        else:
            cv2.warpAffine(src, m, (w, h), dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=border)
        return
    a, b, c, d, e, f = m.ravel()
    data = (a, b, c + 0.5 - 0.5 * (a + b), d, e, f + 0.5 - 0.5 * (d + e))  # PIL maps pixel edges
    out = Image.fromarray(src).transform((w, h), Image.AFFINE, data, resample=Image.BILINEAR,
                                         fillcolor=0 if border is None else border)
    dst[:] = np.asarray(out)


def _box_blur_x(plane: np.ndarray, n: int) -> None:
    """In-place horizontal box blur of length ``n`` (motion blur for whip pans)."""
    if n < 2:
        return
    if cv2 is not None:
        cv2.blur(plane, (n, 1), dst=plane, borderType=cv2.BORDER_REPLICATE)
        return
    img = Image.fromarray(plane)
    w, h = img.size
    plane[:] = np.asarray(img.resize((max(8, round(w / n)), h), Image.BILINEAR).resize((w, h), Image.BILINEAR))

