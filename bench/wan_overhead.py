"""What the Wan renderer costs on top of diffusers: per-shot render time / a bare pipeline call, same run.

    .venv/bin/python bench/wan_overhead.py                       # tiny t2v model built on the fly, CPU
    .venv/bin/python bench/wan_overhead.py --variant a14b --repeats 7
    .venv/bin/python bench/wan_overhead.py --model /models/Wan2.2-T2V-A14B-Diffusers --seconds 5

Ours: ``WanRenderer.render_shot`` (warm: pipeline already loaded), which derives the pipeline arguments from the
shot, runs every segment and writes the clip. Baseline: what a user of diffusers would write by hand with the
very same arguments and the very same loaded pipeline: ``pipe(...).frames[0]`` per segment, then
``diffusers.utils.export_to_video``. The bare pipeline call alone (no file written) is printed too. Runs are
interleaved and the median is reported, so drift in machine load hits both sides alike. Both wall time and CPU
time (this process plus the ffmpeg children it waited for) are printed: on a shared machine CPU time is the
steadier figure; on a GPU the wall time is the one that counts. Goal: ratio <= 1.02.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a Wan diffusers folder or hub id (default: a tiny model built now)")
    ap.add_argument("--variant", default="t2v", choices=["t2v", "a14b", "ti2v"], help="tiny model variant")
    ap.add_argument("--seconds", type=float, default=2.0, help="shot duration (default 2 s)")
    ap.add_argument("--aspect", default="16:9", choices=["16:9", "9:16", "1:1"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, help="denoising steps (default: the model's)")
    ap.add_argument("--device", help="cuda or cpu (default: cuda if available)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: steadier figures on a shared machine)")
    args = ap.parse_args(argv)

    import torch
    from diffusers.utils import export_to_video

    from briefreel.render.base import RenderSettings
    from briefreel.render.wan import WanRenderer
    from briefreel.render.wan_tiny import make_tiny_wan
    from briefreel.storyboard.schema import Storyboard

    if args.threads:
        torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="wan-overhead-"))
    model = args.model or str(make_tiny_wan(work / f"tiny-{args.variant}", args.variant))
    board = Storyboard.model_validate({
        "aspect_ratio": args.aspect,
        "shots": [{"id": "S01", "size": "MS", "duration_s": args.seconds,
                   "description": "A lighthouse on a cliff at dawn, waves breaking below",
                   "prompt": "A lighthouse on a cliff at dawn, waves breaking below, slow push in, cinematic"}],
    })
    shot = board.shots[0]
    settings = RenderSettings.for_board(board)
    frames = round(shot.duration_s * settings.fps)
    renderer = WanRenderer(model, steps=args.steps, device=args.device, seed=0)
    key = renderer.cache_key(shot, board, settings, frames)

    def clocks() -> tuple[float, float]:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter(), cpu

    def since(start: tuple[float, float]) -> tuple[float, float]:
        now = clocks()
        return now[0] - start[0], now[1] - start[1]

    def ours(i: int) -> tuple[float, float]:
        t = clocks()
        renderer.render_shot(shot, board, settings, frames, work / f"ours_{i}.mp4")
        return since(t)

    def bare(i: int, write: bool) -> tuple[float, float]:
        pipe = renderer.pipeline
        t = clocks()
        videos = []
        for num_frames, seed in zip(key["segments"], key["segment_seeds"]):
            extra = {"guidance_scale_2": key["guidance_2"]} if key["guidance_2"] is not None else {}
            videos.append(pipe(
                prompt=key["prompt"], negative_prompt=key["negative_prompt"], height=key["height"],
                width=key["width"], num_frames=num_frames, num_inference_steps=key["steps"],
                guidance_scale=key["guidance"], generator=torch.Generator("cpu").manual_seed(seed),
                max_sequence_length=key["max_sequence_length"], **extra,
            ).frames[0])
        if write:
            for j, video in enumerate(videos):
                export_to_video(list(video), str(work / f"bare_{i}_{j}.mp4"), fps=key["fps"])
        return since(t)

    ours(-1), bare(-1, True)  # warm-up: load, first-call allocations, ffmpeg in the page cache
    t_ours, t_bare, t_pipe = [], [], []
    for i in range(args.repeats):
        t_ours.append(ours(i))
        t_bare.append(bare(i, True))
        t_pipe.append(bare(i, False))
    dev = renderer._loaded.device if renderer._loaded else "?"
    name = torch.cuda.get_device_name() if dev.startswith("cuda") else "CPU"
    print(f"model: {model} ({renderer.spec.family}); device: {dev} ({name}); {args.repeats} interleaved runs; "
          f"{key['width']}x{key['height']}, segments {key['segments']} at {key['fps']} fps, {key['steps']} steps")
    for k, clock in enumerate(("wall", "cpu")):
        mo, mb, mp = (statistics.median(x[k] for x in runs) for runs in (t_ours, t_bare, t_pipe))
        print(f"[{clock}] ours  WanRenderer.render_shot      median {mo:.4f} s")
        print(f"[{clock}] bare  pipe(...) + export_to_video  median {mb:.4f} s")
        print(f"[{clock}] bare  pipe(...) alone, no file     median {mp:.4f} s")
        print(f"[{clock}] ratio ours / (pipe + export) = {mo / mb:.3f}  (goal <= 1.02);  "
              f"ours / pipe alone = {mo / mp:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
