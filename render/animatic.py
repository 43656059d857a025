"""From rendered shots to the animatic: conform each clip to its shot, then join the clips without re-encoding.

``conform`` brings a clip that is not yet in animatic form (a Wan clip: 16 or 24 fps, ~5 s, the model's size) to
exactly the shot's frame span at the animatic's fps and size, with the dialogue caption burned in, encoded with the
same settings as every panel clip (``render.ffmpeg.encoder_args``). ``join`` then concatenates the clips with
ffmpeg's concat demuxer and ``-c copy``: no generation loss and ~0.1 s for a 30 s spot.

Timing rule (``conform``), for a clip of ``S`` seconds and a shot of ``N`` frames (``D = N / fps`` seconds):

* output frame ``k`` shows the source frame at time ``k / fps * speed`` (nearest frame at or before it), computed
  from ``k`` directly, so the mapping never drifts whatever the two frame rates are;
* ``S >= D``: ``speed = 1`` and the tail is trimmed (the head of a generated clip is the part that follows the
  prompt's move from its start);
* ``S < D``: the clip is slowed to fill the shot, but never below ``MIN_SPEED`` (80 %: slower starts to read as
  slow motion); whatever is still missing holds the last frame.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from contextlib import closing as _closing
from pathlib import Path

from render.base import Clip, RenderSettings
from render.errors import RenderError
from render.ffmpeg import Frame420, Overlay420, VideoWriter, ffmpeg_exe, probe, quick_probe, read_frames
from storyboard.schema import Shot, Storyboard

MIN_SPEED = 0.8  # a short clip may be slowed to 80 % of real time before its last frame is held
CONFORM_VERSION = "1"  # bump when conform would give different pixels for the same inputs


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


def caption_overlay(shot: Shot, board: Storyboard, width: int, height: int):
    """The dialogue/VO caption alone, as drawn on panel clips (None when the shot is silent)."""
    from render.panel import _overlay, caption_text

    if not caption_text(shot, board):
        return None
    return _overlay(shot, board, width, height, desc_lines=0, caption=True, labels=False)


def conform(clip: Clip, shot: Shot, board: Storyboard, settings: RenderSettings, frames: int,
            out_path: str | Path) -> Clip:
    """Retime, trim or extend, cover-scale and caption ``clip`` into exactly ``frames`` animatic frames."""
    out_path = Path(out_path)
    info = probe(clip.path)
    src_fps = info.fps or clip.fps
    index, speed, held = timing(info.frames, src_fps, frames, settings.fps)
    overlay = caption_overlay(shot, board, settings.width, settings.height)
    overlay420 = Overlay420(overlay) if overlay is not None else None
    frame = Frame420(settings.width, settings.height)
    source = read_frames(clip.path, settings.width, settings.height, cover=True)
    current, have = -1, None
    with VideoWriter(out_path, settings.width, settings.height, settings.fps) as writer, _closing(source):
        for want in index:
            while current < want:
                nxt = next(source, None)
                if nxt is None:  # fewer decodable frames than the container said: hold what we have
                    want = current
                    break
                have, current = nxt, current + 1
            if have is None:
                raise RenderError(f"shot {shot.id}: could not decode any frame of {Path(clip.path).name}")
            frame.buf[:] = memoryview(have)
            if overlay420 is not None:
                overlay420.blend(*frame.planes)
            writer.write_bytes(frame.data())
    return Clip(
        path=out_path, frames=frames, fps=settings.fps, width=settings.width, height=settings.height,
        seed=clip.seed, conformed=True,
        info={**clip.info, "source_frames": info.frames, "source_fps": src_fps,
              "source_size": [info.width, info.height], "speed": round(speed, 4), "held_frames": held,
              "trimmed_s": round(max(0.0, info.frames / src_fps - frames / settings.fps * speed), 3)},
    )


def _probe(path: Path):
    """(VideoInfo, codec configuration bytes): from the MP4 index when possible, else from ffmpeg."""
    quick = quick_probe(path)
    return quick if quick is not None else (probe(path), b"")


def _concat_line(path: Path) -> str:
    # The concat demuxer's quoting: single quotes, with ' written as '\''.
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'\n"


def join(clip_paths: list[str | Path], out_path: str | Path, expected_frames: int | None = None) -> Path:
    """Concatenate conformed clips into ``out_path`` by stream copy (``-c copy``, ``+faststart``).

    The clips must share codec, size, pixel format, fps and time base (every clip from ``VideoWriter`` does). The
    result's frame count is checked against the sum of the clips' (and ``expected_frames`` when given); the file
    appears only when it is complete and right.
    """
    out_path = Path(out_path)
    paths = [Path(p) for p in clip_paths]
    if not paths:
        raise RenderError("nothing to join: no clips")
    infos = [_probe(p) for p in paths]
    first, first_cfg = infos[0]
    for p, (i, cfg) in zip(paths, infos):
        same = (i.codec, i.width, i.height, i.fps, i.timescale, cfg or i.pix_fmt) == (
            first.codec, first.width, first.height, first.fps, first.timescale, first_cfg or first.pix_fmt)
        if not same:
            raise RenderError(
                f"cannot stream-copy {p.name}: {i.codec} {i.width}x{i.height} {i.fps} fps (time base 1/{i.timescale}) "
                f"differs from {paths[0].name} ({first.codec} {first.width}x{first.height} {first.fps} fps, "
                f"1/{first.timescale}) or its encoder settings do; conform it first")
    infos = [i for i, _ in infos]
    total = sum(i.frames for i in infos)
    if expected_frames is not None and total != expected_frames:
        raise RenderError(f"the clips hold {total} frames, the cut needs {expected_frames}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.part{out_path.suffix}")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as lst:
        lst.write("ffconcat version 1.0\n")
        for p in paths:
            lst.write(_concat_line(p))
    try:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
               "-i", lst.name, "-map", "0:v:0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(tmp)]
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
    return out_path
