"""Panel renderer speed against the encode floor, measured in the same run.

    .venv/bin/python bench/animatic.py [--repeat 3] [--workers N]

Board: 30 s, 8 shots at 1280x720, 24 fps, with varied camera moves (push, pan, static, tilt, handheld, whip pan,
arc, dolly zoom) and captions. Two timings per round, interleaved:

* render: ``render_board(board, renderer="panel", use_cache=False, exports=False)``, wall clock: drawing, every
  frame's camera move and captions, encoding each shot, and the stream-copy join (worker start-up included);
* floor: the very same frames, computed beforehand and held in RAM, piped into one ffmpeg with the same encoder
  settings (``render.ffmpeg.VideoWriter``): the cost of encoding alone.

Prints both, and the ratio render / floor (target <= 2.0 on 2 cores, goal 1.2): the median of the rounds' wall
clock ratios, and the best render over the best floor. Other processes on a shared machine stretch wall clock
unevenly, so it also prints the CPU-seconds ratio (this process and all its children, ffmpeg included), which
load barely moves.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briefreel.render.base import RenderSettings, frame_spans  # noqa: E402
from briefreel.render.ffmpeg import VideoWriter, probe  # noqa: E402
from briefreel.render.panel import PanelRenderer, Stage  # noqa: E402
from briefreel.render.pipeline import render_board  # noqa: E402
from briefreel.storyboard.schema import Storyboard  # noqa: E402

SHOTS = [
    ("S01", "EWS", "high", "push_in", 4.5, "Dawn over the harbour city, mist on the water.", ""),
    ("S02", "MS", "eye_level", "pan_right", 4.0, "Mia at her kitchen counter opens the bottle.", "Every morning starts with this."),
    ("S03", "INSERT", "overhead", "static", 2.5, "The bottle on the table, label to camera.", ""),
    ("S04", "CU", "low", "tilt_up", 3.5, "Mia looks up, sunlight on her face.", "Fresh. Simple. Mine."),
    ("S05", "FS", "eye_level", "handheld", 4.0, "She walks down the city street.", ""),
    ("S06", "MLS", "eye_level", "whip_pan", 3.0, "A friend waves from the cafe across the street.", "Want one?"),
    ("S07", "OTS", "eye_level", "arc", 4.5, "Over her shoulder: the two friends at the cafe table.", ""),
    ("S08", "ECU", "eye_level", "dolly_zoom", 4.0, "Her eyes widen at the view of the sea.", "Brightwater. Drink the morning."),
]


def bench_board() -> Storyboard:
    shots = [dict(id=i, size=s, angle=a, movement=m, duration_s=d, description=desc, dialogue=dl,
                  dialogue_kind="vo" if dl and i in ("S04", "S08") else ("dialogue" if dl else ""),
                  characters=["C1"] if s not in ("EWS", "INSERT") else [])
             for i, s, a, m, d, desc, dl in SHOTS]
    return Storyboard.model_validate({
        "title": "bench", "language": "en", "aspect_ratio": "16:9", "shots": shots,
        "bible": [{"id": "C1", "kind": "character", "name": "Mia", "description": "a woman in her thirties"}],
    })


def frames_in_ram(board: Storyboard, settings: RenderSettings) -> list[bytes]:
    """Exactly the frames the panel renderer encodes, as yuv420p bytes."""
    spans = frame_spans([s.duration_s for s in board.shots], settings.fps)
    renderer = PanelRenderer()
    out = []
    for shot, (a, b) in zip(board.shots, spans):
        shot = shot.model_copy(update={"seed": renderer.seed_for(shot)})
        stage = Stage(shot, board, settings.width, settings.height, seed=shot.seed)
        out.extend(bytes(f) for f in stage.frame_bytes(b - a))
    return out


def _forkserver_cpu() -> float:
    """CPU of multiprocessing's fork server and of the workers it has reaped (render_board's shot processes are
    its children, not ours). Read from /proc; 0 when there is no fork server yet."""
    try:
        from multiprocessing import forkserver

        pid = forkserver._forkserver._forkserver_pid  # noqa: SLF001 - measurement only
        if not pid:
            return 0.0
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    except (ImportError, AttributeError, OSError, ValueError):
        return 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of every process it started that has ended (workers, ffmpeg)."""
    total = _forkserver_cpu()
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def encode_floor(frames: list[bytes], settings: RenderSettings, path: Path) -> float:
    t0 = time.perf_counter()
    with VideoWriter(path, settings.width, settings.height, settings.fps) as w:
        for f in frames:
            w.write_bytes(f)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None, help="render processes (default: render_board's)")
    args = ap.parse_args()

    board = bench_board()
    settings = RenderSettings.for_board(board)
    total = frame_spans([s.duration_s for s in board.shots], settings.fps)[-1][1]
    frames = frames_in_ram(board, settings)
    assert len(frames) == total
    print(f"board: {len(board.shots)} shots, {board.duration_s:.1f} s, {total} frames at "
          f"{settings.width}x{settings.height} {settings.fps} fps; cores: {len(os.sched_getaffinity(0))}")
    renders, floors, cpu_r, cpu_f = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        def floor() -> tuple[float, float]:
            c0 = cpu_seconds()
            t = encode_floor(frames, settings, tmp / "floor.mp4")
            return t, cpu_seconds() - c0

        for r in range(args.repeat):
            if r % 2:  # alternate the order, so a load change between the two halves biases neither way
                t_floor, c_floor = floor()
            c0, t0 = cpu_seconds(), time.perf_counter()
            report = render_board(board, tmp / "out", use_cache=False, cache_dir=tmp / "cache", progress=False,
                                  workers=args.workers, exports=False)
            t_render = time.perf_counter() - t0
            time.sleep(0.3)  # let the fork server reap the finished workers before reading its counters
            c_render = cpu_seconds() - c0
            assert probe(report.animatic).frames == total
            if not r % 2:
                t_floor, c_floor = floor()
            renders.append(t_render)
            floors.append(t_floor)
            cpu_r.append(c_render)
            cpu_f.append(c_floor)
            print(f"round {r + 1}: render {t_render:6.2f} s ({total / t_render:5.1f} fps, {c_render:5.2f} cpu-s)   "
                  f"encode floor {t_floor:6.2f} s ({total / t_floor:5.1f} fps, {c_floor:5.2f} cpu-s)   "
                  f"ratio {t_render / t_floor:.2f}")
    ratios = [a / b for a, b in zip(renders, floors)]
    print(f"render {statistics.median(renders):.2f} s, encode floor {statistics.median(floors):.2f} s (medians); "
          f"wall ratio: median {statistics.median(ratios):.2f}, best/best {min(renders) / min(floors):.2f}; "
          f"cpu ratio {statistics.median(cpu_r) / statistics.median(cpu_f):.2f}   (target <= 2.0, goal 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
