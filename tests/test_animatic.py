"""Conform (MoviePy: retime, trim/extend, cover-scale, captions) and the join (stream copy, or a MoviePy re-encode
for mismatched clips), on real encoded clips."""

from __future__ import annotations

import math
import os
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from briefreel.render.animatic import MIN_SPEED, conform, join, timing
from briefreel.render.base import Clip, RenderSettings
from briefreel.render.errors import RenderError
from briefreel.render.ffmpeg import Frame420, VideoWriter, ffmpeg_exe, probe, quick_probe, read_frames
from briefreel.render.panel import PanelRenderer
from briefreel.storyboard.schema import Storyboard


def make_board(shots, language="en", aspect="16:9") -> Storyboard:
    base = {"size": "MS", "movement": "static", "duration_s": 1.0, "description": "A harbour at dawn."}
    return Storyboard.model_validate({
        "language": language, "aspect_ratio": aspect,
        "shots": [{**base, "id": f"S{i + 1:02d}", **s} for i, s in enumerate(shots)],
    })


def counting_clip(path, frames: int, fps: int, w: int = 832, h: int = 480) -> Clip:
    """A model-like clip (another fps and size) whose frame i is a flat grey of level 20 + 8 i (readable back)."""
    f = Frame420(w, h)
    with VideoWriter(path, w, h, fps) as out:
        for i in range(frames):
            f.y[:] = 20 + 8 * i
            f.u[:] = 128
            f.v[:] = 128
            out.write_bytes(f.data())
    return Clip(path=path, frames=frames, fps=fps, width=w, height=h, seed=3, conformed=False)


def model_clip(path, frames: int = 81, fps: int = 16, w: int = 832, h: int = 480) -> Clip:
    """A Wan-like clip written the way ``render.wan.write_video`` writes one (bundled ffmpeg, untagged yuv420p):
    mid grey, frame i's number as 7 black/white blocks in the upper band, a dark lower half."""
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                         quality=None, macro_block_size=1, output_params=["-crf", "12"])
    writer.send(None)
    for i in range(frames):
        img = np.full((h, w, 3), 128, np.uint8)
        img[h // 2:] = 40
        for b in range(7):
            img[40:120, 40 + 100 * b:120 + 100 * b] = 255 if (i >> b) & 1 else 0
        writer.send(img)
    writer.close()
    return Clip(path=path, frames=frames, fps=fps, width=w, height=h, seed=1, conformed=False)


def counters(path, w, h, sx: float, y0: int):
    """The block counter of every frame of a conformed ``model_clip`` (scaled by sx, cropped at y0)."""
    out = []
    for y in lumas(path, w, h):
        row = y[round(80 * sx) - y0]
        out.append(sum(1 << b for b in range(7) if row[round((80 + 100 * b) * sx)] > 128))
    return out


def packets(path):
    """MD5 of every video packet, without decoding (ffmpeg framemd5 on a stream copy)."""
    res = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:v:0",
                          "-c", "copy", "-f", "framemd5", "-"], capture_output=True, text=True, check=True)
    return [line.split(",")[-1].strip() for line in res.stdout.splitlines() if line and not line.startswith("#")]


def ffmpeg_children():
    """Live or zombie ffmpeg processes started by this process."""
    kids = []
    for task in os.listdir("/proc/self/task"):
        try:
            kids += open(f"/proc/self/task/{task}/children").read().split()
        except OSError:
            pass
    names = []
    for pid in kids:
        try:
            names.append(open(f"/proc/{pid}/comm").read().strip())
        except OSError:
            pass
    return [n for n in names if "ffmpeg" in n]


def lumas(path, w, h):
    return [np.frombuffer(buf, np.uint8, w * h).reshape(h, w) for buf in read_frames(path, w, h, cover=False)]


# -- the timing rule ---------------------------------------------------------------------------------------------

def test_timing_retimes_without_drift():
    index, speed, held = timing(81, 16, 120, 24)  # a Wan2.1 clip (81 frames @ 16 fps) into a 5 s shot
    assert speed == 1.0 and held == 0
    assert index == [math.floor(k * 16 / 24) for k in range(120)]  # from k directly: no accumulated error
    assert index[-1] == 79 and all(b - a in (0, 1) for a, b in zip(index, index[1:]))


def test_timing_trims_and_extends():
    index, speed, held = timing(121, 24, 48, 24)  # longer clip: trimmed to the head
    assert index == list(range(48)) and speed == 1.0 and held == 0
    index, speed, held = timing(44, 24, 48, 24)  # a bit short: slowed down, nothing held
    assert math.isclose(speed, 44 / 48) and held == 0 and index[-1] == 43
    index, speed, held = timing(24, 24, 48, 24)  # far too short: slowed to the limit, then the last frame held
    assert speed == MIN_SPEED and index[-1] == 23 and held == 48 - 30
    assert index[:30] == [math.floor(k * MIN_SPEED) for k in range(30)]


# -- conform -----------------------------------------------------------------------------------------------------

def test_conform_retimes_scales_and_captions(tmp_path):
    board = make_board([{"duration_s": 1.5, "dialogue": "每天早晨都从这里开始。"}], "zh")
    settings = RenderSettings.for_board(board)
    src = counting_clip(tmp_path / "wan.mp4", 25, 16)  # 1.56 s at 16 fps, 832x480
    out = conform(src, board.shots[0], board, settings, 36, tmp_path / "c.mp4")
    info = probe(out.path)
    assert out.conformed and out.frames == info.frames == 36
    assert (info.width, info.height, info.fps, info.pix_fmt, info.codec) == (1280, 720, 24, "yuv420p", "h264")
    assert out.info["source_fps"] == 16 and out.info["speed"] == 1.0 and out.info["held_frames"] == 0
    ys = lumas(out.path, 1280, 720)
    got = [int(np.median(y[100:300, 100:1100])) for y in ys]  # above the caption
    want = [20 + 8 * math.floor(k * 16 / 24) for k in range(36)]  # limited range in, limited range out
    assert max(abs(g - w) for g, w in zip(got, want)) <= 3
    # The caption is burned into the lower third: bright glyph pixels where the source was flat grey.
    lower = ys[0][int(720 * 2 / 3):]
    assert (lower > 200).sum() > 500 and (ys[0][: int(720 * 2 / 3)] > 200).sum() == 0


def test_conform_a_wan_clip_frame_exact_with_moviepy(tmp_path):
    # A Wan2.1-like clip, 81 frames at 16 fps, 832x480, into a 2.5 s shot at 24 fps, 1280x720.
    board = make_board([{"duration_s": 2.5, "dialogue": "Every morning starts here."}])
    settings = RenderSettings.for_board(board)
    src = model_clip(tmp_path / "wan.mp4")
    out = conform(src, board.shots[0], board, settings, 60, tmp_path / "S01.mp4")
    info = probe(out.path)
    assert out.frames == info.frames == 60 and math.isclose(info.duration_s, 2.5)
    assert (info.width, info.height, info.fps, info.pix_fmt, info.codec) == (1280, 720, 24, "yuv420p", "h264")
    assert out.info["speed"] == 1.0 and out.info["held_frames"] == 0 and out.info["trimmed_s"] == 2.562
    # Frame k shows source frame floor(k * 16 / 24): read back from the burned-in counter (cover: x1.5385, crop 9).
    sx = 1280 / 832
    got = counters(out.path, 1280, 720, sx, (round(480 * sx) - 720) // 2)
    assert got == [math.floor(k * 16 / 24) for k in range(60)]
    assert all(b - a in (0, 1) for a, b in zip(got, got[1:]))  # monotonic source time, no drift, no jump
    # The caption sits in the lower third: bright glyphs over the dark lower half, none above.
    y = lumas(out.path, 1280, 720)[0]
    assert (y[480:] > 200).sum() > 500 and (y[380:480] > 200).sum() == 0
    # Same encoder settings as a panel clip: identical codec configuration, so the join stream-copies.
    panel = PanelRenderer().render_shot(board.shots[0], board, settings, 6, tmp_path / "p.mp4")
    assert quick_probe(out.path)[1] == quick_probe(panel.path)[1]
    assert quick_probe(out.path)[0].timescale == quick_probe(panel.path)[0].timescale == 12288
    assert ffmpeg_children() == []  # every clip closed, every ffmpeg reaped
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_conform_extends_a_short_clip_and_covers_portrait(tmp_path):
    board = make_board([{"duration_s": 2.0}], aspect="9:16")
    settings = RenderSettings.for_board(board)
    src = counting_clip(tmp_path / "short.mp4", 16, 16)  # 1 s of landscape video for a 2 s portrait shot
    out = conform(src, board.shots[0], board, settings, 48, tmp_path / "c.mp4")
    info = probe(out.path)
    assert (info.frames, info.width, info.height) == (48, 720, 1280)
    assert out.info["speed"] == MIN_SPEED and out.info["held_frames"] == 48 - 30
    ys = lumas(out.path, 720, 1280)
    last = [int(np.median(y)) for y in ys[-18:]]
    assert max(last) - min(last) <= 1  # held on the last source frame
    assert abs(int(np.median(ys[0][:, :40])) - int(np.median(ys[0][:, 340:380]))) <= 1  # cover: no letterbox bars


# -- join --------------------------------------------------------------------------------------------------------

def test_join_stream_copies_and_checks_frames(tmp_path):
    board = make_board([{"movement": "push_in", "duration_s": 0.5}, {"movement": "pan_left", "duration_s": 0.75}])
    settings = RenderSettings.for_board(board)
    r = PanelRenderer()
    a = r.render_shot(board.shots[0], board, settings, 12, tmp_path / "a.mp4")
    b = r.render_shot(board.shots[1], board, settings, 18, tmp_path / "b.mp4")
    wan = conform(counting_clip(tmp_path / "w.mp4", 20, 16), board.shots[0], board, settings, 10, tmp_path / "w24.mp4")
    out = join([a.path, wan.path, b.path], tmp_path / "animatic.mp4", expected_frames=40)
    info = probe(out)
    assert (info.frames, info.fps, info.width, info.height, info.pix_fmt) == (40, 24, 1280, 720, "yuv420p")
    assert math.isclose(info.duration_s, 40 / 24)
    # Stream copy: the joined file carries the clips' packets, byte for byte (no encoder ran).
    assert packets(out) == packets(a.path) + packets(wan.path) + packets(b.path)
    assert len(lumas(out, 1280, 720)) == 40  # and it decodes, every frame
    with open(out, "rb") as fh:  # +faststart: the index (moov) comes before the media data (mdat)
        head = fh.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_join_reencodes_mismatched_clips_with_moviepy(tmp_path):
    board = make_board([{"duration_s": 0.25}, {"duration_s": 0.5}])
    settings = RenderSettings.for_board(board)
    r = PanelRenderer()
    a = r.render_shot(board.shots[0], board, settings, 6, tmp_path / "a.mp4")
    b = r.render_shot(board.shots[1], board, settings, 12, tmp_path / "b.mp4")
    raw = counting_clip(tmp_path / "raw.mp4", 8, 16)  # another tool's clip: 16 fps, 832x480 -> 12 frames at 24
    out = join([a.path, raw.path, b.path], tmp_path / "animatic.mp4", expected_frames=30)
    info = probe(out)
    assert (info.frames, info.fps, info.width, info.height, info.pix_fmt) == (30, 24, 1280, 720, "yuv420p")
    assert packets(out) != packets(a.path) + packets(raw.path) + packets(b.path)  # re-encoded
    assert quick_probe(out)[1] == quick_probe(a.path)[1]  # with the animatic's own encoder settings
    ys = lumas(out, 1280, 720)
    assert len(ys) == 30  # playable: every frame decodes
    panel_a, panel_b = lumas(a.path, 1280, 720), lumas(b.path, 1280, 720)
    assert np.abs(ys[5].astype(int) - panel_a[5]).mean() < 3  # boundaries land on the right frames
    assert np.abs(ys[18].astype(int) - panel_b[0]).mean() < 3
    got = [int(np.median(y[100:600, 100:1100])) for y in ys[6:18]]
    want = [20 + 8 * math.floor(k * 16 / 24) for k in range(12)]
    assert max(abs(g - w) for g, w in zip(got, want)) <= 3
    assert ffmpeg_children() == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_join_checks_frames_and_leaves_nothing(tmp_path):
    board = make_board([{"duration_s": 0.25}])
    settings = RenderSettings.for_board(board)
    a = PanelRenderer().render_shot(board.shots[0], board, settings, 6, tmp_path / "a.mp4")
    raw = counting_clip(tmp_path / "raw.mp4", 5, 16)
    with pytest.raises(RenderError, match="needs 7"):
        join([a.path], tmp_path / "animatic.mp4", expected_frames=7)
    with pytest.raises(RenderError, match="needs 99"):  # 6 + round(5 * 24 / 16) = 14
        join([a.path, raw.path], tmp_path / "animatic.mp4", expected_frames=99)
    with pytest.raises(RenderError, match="not a readable video"):
        (tmp_path / "junk.mp4").write_bytes(b"not a video at all")
        join([a.path, tmp_path / "junk.mp4"], tmp_path / "animatic.mp4")
    assert not (tmp_path / "animatic.mp4").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
