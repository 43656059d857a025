"""From rendered shots to the animatic: conform each clip to its shot with MoviePy, then join the clips.

``conform`` brings a clip that is not yet in animatic form (a Wan clip: 16 or 24 fps, ~5 s, the model's size) to
exactly the shot's frame span at the animatic's fps and size, with the dialogue caption burned in. It is built on
MoviePy 2.2.1: a ``VideoFileClip`` decodes the source (ffmpeg scales it to cover the frame), one
``VideoClip(frame_function)`` retimes, crops and captions it, and ``write_videofile`` encodes it with exactly the
settings of every panel clip (``render.ffmpeg.moviepy_params`` = ``encoder_args``), so the join stays a stream
copy. One frame function rather than a ``CompositeVideoClip``: MoviePy 2.2.1's default (transparent) composite
costs a second composite per frame for its mask (../shared/research/video-and-jobs.md, A2); the caption is drawn
once by the panel code (``render.overlay.caption_overlay``, Noto Sans SC, never ``TextClip``, which clips CJK descenders) and
alpha-blended onto its band only. The panel renderer itself does not go through MoviePy: it paints yuv420p planes
straight into ffmpeg (``render.ffmpeg.VideoWriter``) to stay near the encode floor (bench/animatic.py).

``join`` concatenates the clips with ffmpeg's concat demuxer and ``-c copy`` when they share codec, codec
configuration, size, fps and time base (no generation loss, ~0.1 s for a 30 s spot); otherwise (clips from another
tool or an older cache) MoviePy's ``concatenate_videoclips`` re-encodes them, cover-scaled and retimed to the
majority format, with the same encoder settings. The frame count is checked either way.

Timing rule (``conform``), for a clip of ``S`` seconds and a shot of ``N`` frames (``D = N / fps`` seconds):

* output frame ``k`` shows the source frame at time ``k / fps * speed`` (nearest frame at or before it), computed
  from ``k`` directly, so the mapping never drifts whatever the two frame rates are;
* ``S >= D``: ``speed = 1`` and the tail is trimmed (the head of a generated clip is the part that follows the
  prompt's move from its start);
* ``S < D``: the clip is slowed to fill the shot, but never below ``MIN_SPEED`` (80 %: slower starts to read as
  slow motion); whatever is still missing holds the last frame.

MoviePy's writer takes ``int(duration * fps)`` frames at ``t = k / fps``; ``n / fps * fps`` can land just under
``n`` in floating point, so clips here last a half frame longer than their frame count and every frame function
maps ``t`` back to an integer frame index itself.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from briefreel.render.base import Clip, RenderSettings
from briefreel.render.errors import RenderError
from briefreel.render.ffmpeg import PRESET, blend_into, ffmpeg_exe, moviepy_params, premultiply, probe, quick_probe
from briefreel.render.overlay import caption_overlay
from briefreel.storyboard.schema import Shot, Storyboard

MIN_SPEED = 0.8  # a short clip may be slowed to 80 % of real time before its last frame is held
CONFORM_VERSION = "2"  # bump when conform would give different pixels for the same inputs


def timing(source_frames: int, source_fps: float, frames: int, fps: int) -> tuple[list[int], float, int]:
    """Source frame index for each of ``frames`` output frames, the playback speed, and the held frame count."""
    if source_frames < 1:
        raise RenderError("the clip has no frames")
    src_s, dst_s = source_frames / source_fps, frames / fps
    speed = 1.0 if src_s >= dst_s else max(MIN_SPEED, src_s / dst_s)
    index, held = [], 0
    for k in range(frames):
        i = math.floor(k / fps * speed * source_fps + 1e-6)
        if i >= source_frames:
            i, held = source_frames - 1, held + 1
        index.append(i)
    return index, speed, held


class _Caption:
    """The caption overlay's covered band, premultiplied once, alpha-blended onto RGB frames."""

    def __init__(self, overlay):
        box = overlay.getchannel("A").getbbox()
        self.box = box
        if box is None:
            return
        band = np.asarray(overlay.crop(box))
        alpha = np.repeat(band[..., 3:4], 3, axis=2)
        self.pre, self.inv = premultiply(band[..., :3], alpha)

    def onto(self, frame: np.ndarray) -> np.ndarray:
        out = np.array(frame)  # the decoded frame is read-only (and may be a crop view)
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            blend_into(out[y0:y1, x0:x1], self.pre, self.inv)
        return out


def _cover(src_w: int, src_h: int, width: int, height: int) -> tuple[tuple[int, int] | None, int, int]:
    """(decode size that covers width x height, or None to keep the source's; crop x, crop y), centred."""
    if (src_w, src_h) == (width, height):
        return None, 0, 0
    s = max(width / src_w, height / src_h)
    w, h = max(width, round(src_w * s)), max(height, round(src_h * s))
    return (w, h), (w - width) // 2, (h - height) // 2


def _open(path: Path, width: int, height: int):
    """A MoviePy ``VideoFileClip`` decoding ``path`` scaled to cover width x height, and the crop origin."""
    from moviepy import VideoFileClip

    info = _probe(path)[0]
    size, x0, y0 = _cover(info.width, info.height, width, height)
    try:
        with warnings.catch_warnings():  # 2.2.1 sets ndarray.shape, which NumPy 2.5 deprecates
            warnings.simplefilter("ignore", DeprecationWarning)
            source = VideoFileClip(str(path), audio=False, target_resolution=size, resize_algorithm="bicubic")
    except (OSError, KeyError, ValueError) as exc:
        raise RenderError(f"{path.name} is not a readable video: {exc}") from None
    _big_pipe(getattr(getattr(source.reader, "proc", None), "stdout", None))
    if source.size[0] < width or source.size[1] < height:  # rotated sources report swapped sides
        _close(source)
        raise RenderError(f"{path.name}: decoded at {source.size[0]}x{source.size[1]}, cannot cover {width}x{height}")
    return source, info, x0, y0


def _close(clip) -> None:
    """Close a MoviePy clip and reap its ffmpeg (2.2.1 leaves the pipes of a reader that hit the end open)."""
    reader = getattr(clip, "reader", None)
    proc = getattr(reader, "proc", None)
    clip.close()
    if proc is not None:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _retimed(source, index: list[int], x0: int, y0: int, width: int, height: int, fps: int, *, lead: float = 0.5,
             duration: float | None = None, caption: _Caption | None = None):
    """A MoviePy ``VideoClip`` whose frame ``k`` (``floor(t * fps + lead)``) is source frame ``index[k]``, cropped
    at (x0, y0) to width x height, with the caption blended on."""
    from moviepy import VideoClip

    last = len(index) - 1
    src_fps = source.fps
    warned: list[str] = []

    def frame_function(t: float) -> np.ndarray:
        k = min(max(math.floor(t * fps + lead + 1e-9), 0), last)
        with warnings.catch_warnings(record=True) as caught:  # fewer decodable frames than indexed: held
            warnings.simplefilter("always")
            frame = source.get_frame(index[k] / src_fps)
        warned.extend(str(w.message) for w in caught if "bytes wanted" in str(w.message))
        frame = frame[y0:y0 + height, x0:x0 + width]
        return caption.onto(frame) if caption is not None else frame

    clip = VideoClip(frame_function=frame_function, duration=duration or (len(index) + 0.5) / fps)
    clip.short_reads = warned
    return clip


def _big_pipe(pipe) -> None:
    """A 1 MiB pipe (64 KiB by default) lets ffmpeg and Python overlap on 2.7 MB RGB frames."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


def _write(clip, out_path: Path, fps: int, frames: int, width: int, height: int) -> None:
    """Encode a MoviePy clip with the animatic's encoder settings; the file appears only with the right frames.

    This is ``write_videofile`` without audio, spelled out through MoviePy's ``FFMPEG_VideoWriter`` so that its
    pipe can be enlarged.
    """
    from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter

    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.part.mp4")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            with FFMPEG_VideoWriter(str(tmp), clip.size, fps, codec="libx264", preset=PRESET,
                                    ffmpeg_params=moviepy_params(fps)) as writer:
                _big_pipe(writer.proc.stdin)
                for frame in clip.iter_frames(fps=fps, dtype="uint8"):
                    writer.write_frame(frame)
        except OSError as exc:
            raise RenderError(f"ffmpeg failed encoding {out_path.name}: {str(exc).strip().splitlines()[-1]}") from None
        got = _probe(tmp)[0]
        if (got.frames, got.width, got.height) != (frames, width, height):
            raise RenderError(f"{out_path.name}: wrote {got.frames} frames at {got.width}x{got.height}, expected "
                              f"{frames} at {width}x{height}")
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def conform(clip: Clip, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int,
            out_path: str | Path) -> Clip:
    """Retime, trim or extend, cover-scale and caption ``clip`` into exactly ``frames`` animatic frames."""
    out_path = Path(out_path)
    w, h, fps = settings.width, settings.height, settings.fps
    source, info, x0, y0 = _open(Path(clip.path), w, h)
    try:
        src_fps = info.fps or source.fps or clip.fps
        index, speed, held = timing(info.frames, src_fps, frames, fps)
        overlay = caption_overlay(shot, board, w, h)
        caption = _Caption(overlay) if overlay is not None else None
        retimed = _retimed(source, index, x0, y0, w, h, fps, caption=caption)
        _write(retimed, out_path, fps, frames, w, h)
        held += len(retimed.short_reads)
    finally:
        _close(source)
    return Clip(
        path=out_path, frames=frames, fps=fps, width=w, height=h,
        seed=clip.seed, conformed=True,
        info={**clip.info, "source_frames": info.frames, "source_fps": src_fps,
              "source_size": [info.width, info.height], "speed": round(speed, 4), "held_frames": held,
              "trimmed_s": round(max(0.0, info.frames / src_fps - frames / fps * speed), 3)},
    )


def _probe(path: Path):
    """(VideoInfo, codec configuration bytes): from the MP4 index when possible, else from ffmpeg."""
    quick = quick_probe(path)
    return quick if quick is not None else (probe(path), b"")


def _concat_line(path: Path) -> str:
    # The concat demuxer's quoting: single quotes, with ' written as '\''.
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'\n"


def _target(infos) -> tuple[int, int, int]:
    """The majority (width, height, fps) of the clips; ties go to the earliest clip."""
    formats = [(i.width, i.height, round(i.fps)) for i in infos]
    counts = Counter(formats)
    return max(formats, key=lambda f: (counts[f], -formats.index(f)))


def _frames_at(info, fps: int) -> int:
    """A clip's frame count once brought to ``fps`` (its own count when it already plays at ``fps``)."""
    if not info.fps:
        raise RenderError(f"a clip of {info.width}x{info.height} has no frame rate; cannot join it")
    return info.frames if math.isclose(info.fps, fps, rel_tol=1e-3) else max(1, round(info.frames * fps / info.fps))


def join(clip_paths: list[str | Path], out_path: str | Path, expected_frames: int | None = None) -> Path:
    """Concatenate clips into ``out_path`` (H.264, ``+faststart``), by stream copy whenever possible.

    Clips that share codec, codec configuration (SPS/PPS), size, fps and time base (every clip from ``VideoWriter``
    or ``conform``) are joined with ``-c copy``. Otherwise MoviePy re-encodes them all, each cover-scaled to the
    majority size and retimed to the majority fps (a clip keeps its duration: ``round(frames * fps / its fps)``
    frames), with the animatic's encoder settings. The result's frame count is checked against the sum of the
    clips' (and ``expected_frames`` when given); the file appears only when it is complete and right.
    """
    out_path = Path(out_path)
    paths = [Path(p) for p in clip_paths]
    if not paths:
        raise RenderError("nothing to join: no clips")
    probed = [_probe(p) for p in paths]
    first, first_cfg = probed[0]
    copy = all((i.codec, i.width, i.height, i.fps, i.timescale, cfg or i.pix_fmt) == (
        first.codec, first.width, first.height, first.fps, first.timescale, first_cfg or first.pix_fmt)
        for i, cfg in probed)
    infos = [i for i, _ in probed]
    width, height, fps = (first.width, first.height, round(first.fps)) if copy else _target(infos)
    counts = [i.frames if copy else _frames_at(i, fps) for i in infos]
    total = sum(counts)
    if expected_frames is not None and total != expected_frames:
        raise RenderError(f"the clips hold {total} frames, the cut needs {expected_frames}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        _join_copy(paths, out_path, total)
    else:
        _join_encode(paths, counts, out_path, width, height, fps)
    return out_path


def _join_copy(paths: list[Path], out_path: Path, total: int) -> None:
    """Concat demuxer, ``-c copy``; ``-auto_convert 0`` keeps every packet byte for byte (the default would put
    the SPS/PPS in band into each clip's first keyframe: the clips already share them in the MP4 header)."""
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.part{out_path.suffix}")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as lst:
        lst.write("ffconcat version 1.0\n")
        for p in paths:
            lst.write(_concat_line(p))
    try:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
               "-auto_convert", "0", "-i", lst.name, "-map", "0:v:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(tmp)]
        res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        if res.returncode != 0:
            msg = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "unknown error"
            raise RenderError(f"joining the animatic failed: {msg}")
        got = _probe(tmp)[0].frames
        if got != total:
            raise RenderError(f"the joined animatic has {got} frames, expected {total}")
        os.replace(tmp, out_path)
    finally:
        os.unlink(lst.name)
        tmp.unlink(missing_ok=True)


def _join_encode(paths: list[Path], counts: list[int], out_path: Path, width: int, height: int, fps: int) -> None:
    """Re-encode mismatched clips through MoviePy's ``concatenate_videoclips`` (``method="chain"``).

    Clip boundaries sit on half frames (clip ``j`` starts at ``(N_j - 0.5) / fps``, ``N_j`` = frames before it),
    so no ``t = k / fps`` of the writer falls on a boundary and float rounding cannot move a frame across one.
    """
    from moviepy import concatenate_videoclips

    sources, parts = [], []
    try:
        before = 0
        for j, (path, n) in enumerate(zip(paths, counts)):
            source, info, x0, y0 = _open(path, width, height)
            sources.append(source)
            index, _, _ = timing(info.frames, info.fps or source.fps, n, fps)
            start = 0.0 if j == 0 else (before - 0.5) / fps
            end = (before + n + (0.5 if j == len(paths) - 1 else -0.5)) / fps
            parts.append(_retimed(source, index, x0, y0, width, height, fps, lead=0.5 if j == 0 else 0.0,
                                  duration=end - start))
            before += n
        whole = concatenate_videoclips(parts, method="chain")
        _write(whole, out_path, fps, before, width, height)
    finally:
        for source in sources:
            _close(source)
