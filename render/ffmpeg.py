"""The ffmpeg that ``imageio-ffmpeg`` ships: one encoder setting for every clip, a frame pipe in, a frame pipe out,
and a probe.

Every clip of an animatic (panel shots, conformed Wan shots) goes through :class:`VideoWriter` with exactly
:data:`ENCODER_ARGS`, so all clips share codec, profile, size, frame rate and time base, and the final join is a
stream copy (``render.animatic.join``). We write raw RGB frames to ffmpeg's stdin ourselves rather than through
MoviePy 2.2.1's ``FFMPEG_VideoWriter``: that one always appends ``-pix_fmt yuva420p`` after the caller's options
(its ``pixel_format`` argument is ignored) and rounds the rate to ``%.02f``. Where MoviePy does write a clip
(``render.animatic``: conform, and the re-encoding join), :func:`moviepy_params` makes its output identical in
codec configuration to ours.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image

try:  # optional, for fast blending (render.panel uses it for warps too)
    import cv2
except ImportError:  # pragma: no cover
    cv2 = None

from briefreel.render.errors import RenderError, RendererUnavailable

# H.264 High, yuv420p, BT.709 tagged, constant quality; no B-frames so every clip starts and ends cleanly for the
# stream-copy join; a keyframe every 2 s so editors scrub quickly. ``-preset veryfast`` is ~3x smaller than
# ultrafast at the same CRF for drawn frames (bench/animatic.py prints the encode time beside the render time).
PRESET = os.environ.get("BRIEFREEL_X264_PRESET", "veryfast")
CRF = 20
GOP_SECONDS = 2
TIMESCALE_PER_FPS = 512  # 24 fps -> 12288, ffmpeg's own default for 24 fps in MP4


def encoder_args(fps: int) -> list[str]:
    """Output options shared by every clip (the cache key includes them). Input frames are yuv420p, BT.709."""
    return [
        "-an",
        "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-bf", "0", "-g", str(fps * GOP_SECONDS),
        "-pix_fmt", "yuv420p", "-profile:v", "high",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
        "-video_track_timescale", str(fps * TIMESCALE_PER_FPS),
        "-movflags", "+faststart",
    ]


# RGB frames in (MoviePy's writer, VideoWriter(pix_fmt="rgb24")): converted with the BT.709 matrix the output is
# tagged with, so an RGB-fed clip and a yuv420p-fed clip carry the same colours and the same codec configuration.
RGB_TO_YUV709 = "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic"


def moviepy_params(fps: int) -> list[str]:
    """``ffmpeg_params`` for MoviePy's ``write_videofile`` that give exactly :func:`encoder_args`' clip.

    MoviePy 2.2.1 ignores ``pixel_format`` and appends ``-pix_fmt yuva420p`` after these options; libx264 has no
    such format, so ffmpeg falls back to the ``yuv420p`` that the filter below already delivers (BT.709 matrix).
    """
    return ["-vf", f"{RGB_TO_YUV709},format=yuv420p"] + [a for a in encoder_args(fps) if a != "-an"] + ["-f", "mp4"]


def encoder_id(fps: int) -> str:
    """A string naming the encoder settings, for cache keys and render.json."""
    return " ".join(["x264"] + encoder_args(fps))


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg (``IMAGEIO_FFMPEG_EXE`` overrides it)."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise RendererUnavailable("ffmpeg is missing: pip install imageio-ffmpeg") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.part{path.suffix}")


class VideoWriter:
    """Pipe raw frames (yuv420p by default) into ffmpeg; the file appears under its name only when complete.

    Frames are handed to a writer thread through a short queue, so the caller paints frame n+1 while ffmpeg is
    still taking frame n (the pipe write releases the GIL); the pipe itself is enlarged to 1 MiB where allowed.

    >>> with VideoWriter("clip.mp4", 1280, 720, 24) as out:
    ...     for data in frames:
    ...         out.write_bytes(data)          # one frame of raw bytes, or a memoryview
    """

    QUEUE = 3  # frames in flight between the painter and ffmpeg

    def __init__(self, path: str | Path, width: int, height: int, fps: int, threads: int | None = None,
                 pix_fmt: str = "yuv420p"):
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        self._tmp = _tmp_name(self.path)
        self._log = tempfile.TemporaryFile()
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-"]
        if pix_fmt != "yuv420p":  # RGB in: convert with the BT.709 matrix the output is tagged with
            cmd += ["-vf", RGB_TO_YUV709]
        cmd += encoder_args(fps)
        if threads:
            cmd += ["-threads", str(threads)]
        cmd += ["-f", "mp4", str(self._tmp)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log,
                                      bufsize=0)
        self._frame_bytes = width * height * 3 // (2 if pix_fmt == "yuv420p" else 1)
        try:
            import fcntl

            fcntl.fcntl(self._proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        except (ImportError, AttributeError, OSError):
            pass
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUE)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._pump, name="ffmpeg-writer", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        out = self._proc.stdin
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._error is not None:
                continue  # drain: the painter learns of the error on its next write
            try:
                view = memoryview(data)
                while view:  # an unbuffered pipe may take a frame in several writes
                    n = out.write(view)
                    view = view[n:]
            except (BrokenPipeError, OSError) as exc:
                self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            self._proc.wait()
            raise RenderError(f"ffmpeg stopped while encoding {self.path.name}: {self._stderr()}")

    def write_bytes(self, data) -> None:
        """One frame of raw bytes (bytes, or a memoryview such as ``Frame420.data()``, copied: reuse it freely)."""
        if len(data) != self._frame_bytes:
            raise RenderError(f"frame has {len(data)} bytes, expected {self._frame_bytes}")
        self._raise_if_failed()
        self._queue.put(data if isinstance(data, bytes) else bytes(data))
        self.frames += 1

    def write_frame(self, frame) -> None:
        """Raw bytes in the writer's pixel format, or a list of Y, Cb, Cr planes (PIL "L" images)."""
        if isinstance(frame, (list, tuple)):
            self.write_bytes(planes_bytes(frame))
        elif isinstance(frame, (bytes, bytearray, memoryview)):
            self.write_bytes(frame)
        else:
            self.write_bytes(frame.tobytes())

    def _stderr(self) -> str:
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else "no message"

    def _stop_pump(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def close(self) -> Path:
        """Finish the file and move it into place."""
        self._stop_pump()
        self._raise_if_failed()
        self._proc.stdin.close()
        rc = self._proc.wait()
        if rc != 0:
            self.abort()
            raise RenderError(f"ffmpeg failed encoding {self.path.name}: {self._stderr()}")
        self._log.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Stop ffmpeg and remove the partial file."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._thread.is_alive():  # the pump now fails fast on the dead pipe and drains
            self._error = self._error or RenderError("aborted")
            self._stop_pump()
        for f in (self._proc.stdin,):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_frames(path: str | Path, width: int, height: int, *, cover: bool = True,
                pix_fmt: str = "yuv420p") -> Iterator[bytes]:
    """Decode every frame of ``path`` at ``width`` x ``height`` as raw ``pix_fmt`` bytes (BT.709 for yuv420p).

    ``cover=True`` scales to fill the frame and crops the overflow centred (no letterbox), which is how a clip of
    another aspect ratio is conformed to the animatic. Every decoded frame is passed through (no fps change).
    """
    scale = f"scale={width}:{height}:flags=bicubic"
    if cover:
        scale += ":force_original_aspect_ratio=increase"
    if pix_fmt == "yuv420p":
        scale += ":out_color_matrix=bt709:out_range=tv"
    vf = f"{scale},crop={width}:{height},setsar=1,format={pix_fmt}"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-map", "0:v:0",
           "-vf", vf, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    n = width * height * 3 // (2 if pix_fmt == "yuv420p" else 1)
    finished = False
    try:
        while True:
            buf = proc.stdout.read(n)
            if len(buf) < n:
                finished = True
                break
            yield buf
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        rc = proc.wait()
        log.seek(0)
        err = log.read().decode("utf-8", "replace").strip()
        log.close()
    if finished and rc != 0:
        raise RenderError(f"ffmpeg could not decode {Path(path).name}: {err.splitlines()[-1] if err else rc}")


@dataclass
class VideoInfo:
    frames: int
    fps: float
    width: int
    height: int
    codec: str
    pix_fmt: str
    duration_s: float
    timescale: int | None = None


_STREAM = re.compile(r"Stream #\S+.*?: Video: (?P<codec>\w+).*?, (?P<pix>[a-z0-9]+)(?:\([^)]*\))?, "
                     r"(?P<w>\d+)x(?P<h>\d+)")
_FPS = re.compile(r"(?P<fps>[\d.]+) fps")
_TBN = re.compile(r"(?P<tbn>[\d.]+k?) tbn")
_FRAME = re.compile(r"frame=\s*(?P<n>\d+)")


def probe(path: str | Path) -> VideoInfo:
    """Exact frame count (every packet counted, no decode), fps, size, codec and pixel format of the first video."""
    path = Path(path)
    if not path.is_file():
        raise RenderError(f"no such clip: {path}")
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null",
           "-"]
    res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    text = res.stderr
    m = _STREAM.search(text)
    if res.returncode != 0 or not m:
        last = text.strip().splitlines()[-1] if text.strip() else "unreadable"
        raise RenderError(f"{path.name} is not a readable video: {last}")
    line = text[m.start():].splitlines()[0]
    fm = _FPS.search(line)
    tm = _TBN.search(line)
    frames = [int(x.group("n")) for x in _FRAME.finditer(text)]
    fps = float(fm.group("fps")) if fm else 0.0
    n = frames[-1] if frames else 0
    tbn = None
    if tm:
        raw = tm.group("tbn")
        tbn = int(float(raw[:-1]) * 1000) if raw.endswith("k") else int(float(raw))
    return VideoInfo(frames=n, fps=fps, width=int(m.group("w")), height=int(m.group("h")), codec=m.group("codec"),
                     pix_fmt=m.group("pix"), duration_s=n / fps if fps else 0.0, timescale=tbn)


# -- frames in the encoder's own pixel format ------------------------------------------------------------------------
# The panel renderer and the conform step paint straight into yuv420p planes (three 8-bit PIL "L" images), so each
# frame moves half the bytes of RGB through PIL and ffmpeg does no colour conversion: that keeps the render close to
# the encode floor (bench/animatic.py).

def rgb_to_yuv(img: Image.Image) -> tuple[Image.Image, Image.Image, Image.Image]:
    """Full-resolution BT.709 limited-range Y, Cb, Cr planes of an RGB image (exact, in float)."""
    a = np.asarray(img.convert("RGB"), dtype=np.float32)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    y = 16 + (219 / 255) * (0.2126 * r + 0.7152 * g + 0.0722 * b)
    u = 128 + (224 / 255) * (-0.114572 * r - 0.385428 * g + 0.5 * b)
    v = 128 + (224 / 255) * (0.5 * r - 0.454153 * g - 0.045847 * b)
    return tuple(Image.fromarray(np.clip(p + 0.5, 0, 255).astype(np.uint8)) for p in (y, u, v))  # type: ignore


def rgb_to_yuv420(img: Image.Image) -> tuple[Image.Image, Image.Image, Image.Image]:
    """Y at full size, Cb/Cr averaged over 2x2 blocks (the image must have even sides)."""
    y, u, v = rgb_to_yuv(img)
    return y, u.reduce(2), v.reduce(2)


def yuv420_to_rgb(data: bytes, width: int, height: int) -> Image.Image:
    """A yuv420p frame (as piped to the encoder) back to RGB, for previews and tests."""
    n = width * height
    y = np.frombuffer(data, np.uint8, n).reshape(height, width).astype(np.float32)
    u = np.frombuffer(data, np.uint8, n // 4, n).reshape(height // 2, width // 2).astype(np.float32)
    v = np.frombuffer(data, np.uint8, n // 4, n + n // 4).reshape(height // 2, width // 2).astype(np.float32)
    u = u.repeat(2, 0).repeat(2, 1) - 128
    v = v.repeat(2, 0).repeat(2, 1) - 128
    yy = (y - 16) * (255 / 219)
    u *= 255 / 224
    v *= 255 / 224
    rgb = np.stack([yy + 1.5748 * v, yy - 0.187324 * u - 0.468124 * v, yy + 1.8556 * u], axis=-1)
    return Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8))


class Overlay420:
    """An RGBA overlay (labels, captions) cut into its non-empty bands and pre-converted to yuv420p.

    ``blend(y, u, v)`` alpha-blends it in place onto a frame's planes (uint8 numpy arrays); only the covered bands
    are touched, and the colour side of the blend (tile * alpha) is pre-multiplied once.
    """

    def __init__(self, overlay: Image.Image):
        w, h = overlay.size
        alpha = overlay.getchannel("A")
        rows = list(alpha.resize((1, h), Image.BOX).getdata()) + [0]
        self.tiles: list[tuple[int, int, int, np.ndarray, np.ndarray]] = []  # plane, y0, x0, premultiplied, 255-a
        start = None
        for y, cov in enumerate(rows):
            if cov and start is None:
                start = y
            elif not cov and start is not None:
                y0, y1 = start - start % 2, min(h, y + y % 2)
                bb = alpha.crop((0, y0, w, y1)).getbbox()
                if bb:
                    x0, x1 = bb[0] - bb[0] % 2, min(w, bb[2] + bb[2] % 2)
                    tile = overlay.crop((x0, y0, x1, y1))
                    planes = rgb_to_yuv420(tile.convert("RGB"))
                    a_full = tile.getchannel("A")
                    for i, (plane, a) in enumerate(zip(planes, (a_full, a_full.reduce(2), a_full.reduce(2)))):
                        s = 1 if i == 0 else 2
                        pre, inv = premultiply(np.asarray(plane), np.asarray(a))
                        self.tiles.append((i, y0 // s, x0 // s, pre, inv))
                start = None

    def blend(self, *planes: np.ndarray) -> None:
        for i, y0, x0, pre, inv in self.tiles:
            h, w = pre.shape
            blend_into(planes[i][y0:y0 + h, x0:x0 + w], pre, inv)


def premultiply(color: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(color * a / 255, 255 - a) as uint8: the two halves of :func:`blend_into`. Premultiplied colour also
    resamples correctly, so a moving sprite is warped in this form."""
    a = alpha.astype(np.uint16)
    pre = ((color.astype(np.uint16) * a + 127) // 255).astype(np.uint8)
    return pre, (255 - alpha).astype(np.uint8)


def blend_into(region: np.ndarray, pre: np.ndarray, inv: np.ndarray) -> None:
    """``region = region * (255 - a) / 255 + color * a / 255`` in place (uint8, within one level)."""
    if cv2 is not None:
        cv2.multiply(region, inv, dst=region, scale=1 / 255)
        cv2.add(region, pre, dst=region)
        return
    tmp = region.astype(np.uint16) * inv
    tmp += 127
    tmp //= 255
    tmp += pre
    np.minimum(tmp, 255, out=tmp)
    region[:] = tmp


def planes_bytes(planes) -> bytes:
    return b"".join(p.tobytes() for p in planes)


class Frame420:
    """One reusable yuv420p frame buffer with Y, Cb, Cr views (numpy), written to the encoder without copies."""

    def __init__(self, width: int, height: int):
        n = width * height
        self.buf = np.empty(n * 3 // 2, dtype=np.uint8)
        self.y = self.buf[:n].reshape(height, width)
        self.u = self.buf[n:n + n // 4].reshape(height // 2, width // 2)
        self.v = self.buf[n + n // 4:].reshape(height // 2, width // 2)
        self.planes = (self.y, self.u, self.v)

    def data(self) -> memoryview:
        return memoryview(self.buf)


# -- a fast probe for our own MP4s ------------------------------------------------------------------------------------
# Reading the moov box directly takes microseconds where an ffmpeg process takes ~50 ms; join() probes every clip.

def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, payload end) of the ISO-BMFF boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    i = start
    while i + 8 <= end:
        size = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8].decode("latin-1")
        head = 8
        if size == 1:
            size, head = int.from_bytes(data[i + 8:i + 16], "big"), 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            return
        yield kind, i + head, i + size
        i += size


def _child(data: bytes, start: int, end: int, kind: str):
    for k, s, e in _boxes(data, start, end):
        if k == kind:
            return s, e
    return None


def _read_moov(path: Path) -> bytes | None:
    with open(path, "rb") as fh:
        while True:
            head = fh.read(8)
            if len(head) < 8:
                return None
            size, kind = int.from_bytes(head[:4], "big"), head[4:8]
            hlen = 8
            if size == 1:
                size, hlen = int.from_bytes(fh.read(8), "big"), 16
            if kind == b"moov":
                body = fh.read(size - hlen) if size else fh.read()
                return head[:4] + kind + body if size != 1 else None
            if size == 0:
                return None
            fh.seek(size - hlen, os.SEEK_CUR)


def quick_probe(path: str | Path) -> tuple[VideoInfo, bytes] | None:
    """Frame count, fps, size, codec and time base of an MP4's first video track from its index, plus the codec
    configuration box (SPS/PPS), without running ffmpeg. None when the file is not a plain MP4 we can read."""
    try:
        moov = _read_moov(Path(path))
    except OSError:
        return None
    if not moov:
        return None
    for kind, s, e in _boxes(moov, 8):
        if kind != "trak":
            continue
        mdia = _child(moov, s, e, "mdia")
        if not mdia:
            continue
        hdlr = _child(moov, *mdia, "hdlr")
        if not hdlr or moov[hdlr[0] + 8:hdlr[0] + 12] != b"vide":
            continue
        mdhd = _child(moov, *mdia, "mdhd")
        minf = _child(moov, *mdia, "minf")
        stbl = _child(moov, *minf, "stbl") if minf else None
        if not (mdhd and stbl):
            return None
        v = moov[mdhd[0]]
        ts_at = mdhd[0] + (20 if v == 1 else 12)
        timescale = int.from_bytes(moov[ts_at:ts_at + 4], "big")
        stsd, stsz, stts = (_child(moov, *stbl, k) for k in ("stsd", "stsz", "stts"))
        if not (stsd and stsz and stts) or not timescale:
            return None
        entry = stsd[0] + 8  # version/flags, entry count
        codec = moov[entry + 4:entry + 8].decode("latin-1")
        w = int.from_bytes(moov[entry + 32:entry + 34], "big")
        h = int.from_bytes(moov[entry + 34:entry + 36], "big")
        config = b""
        entry_end = entry + int.from_bytes(moov[entry:entry + 4], "big")
        for k, cs, ce in _boxes(moov, entry + 86, entry_end):
            if k in ("avcC", "hvcC"):
                config = moov[cs:ce]
        frames = int.from_bytes(moov[stsz[0] + 8:stsz[0] + 12], "big")
        n_stts = int.from_bytes(moov[stts[0] + 4:stts[0] + 8], "big")
        deltas = [int.from_bytes(moov[stts[0] + 12 + 8 * i:stts[0] + 16 + 8 * i], "big") for i in range(n_stts)]
        counts = [int.from_bytes(moov[stts[0] + 8 + 8 * i:stts[0] + 12 + 8 * i], "big") for i in range(n_stts)]
        total = sum(c * d for c, d in zip(counts, deltas))
        fps = round(frames * timescale / total, 3) if total else 0.0
        name = {"avc1": "h264", "avc3": "h264", "hvc1": "hevc", "hev1": "hevc"}.get(codec, codec)
        return VideoInfo(frames=frames, fps=fps, width=w, height=h, codec=name, pix_fmt="",
                         duration_s=frames / fps if fps else 0.0, timescale=timescale), config
    return None
