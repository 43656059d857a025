"""What the caching hooks cost in quality and buy in speed: Wan renders with First-Block-Cache and MagCache against
the same render without a cache (same seed, same prompt), measured in the same run.

    .venv/bin/python bench/wan_cache_quality.py                 # tiny A14B-style model built now, CPU
    .venv/bin/python bench/wan_cache_quality.py --steps 40 --variant t2v
    .venv/bin/python bench/wan_cache_quality.py --model /models/Wan2.2-T2V-A14B-Diffusers --steps 40

For each cache setting it prints the denoising time ratio to the no-cache baseline (median of ``--repeats``
interleaved runs, so machine load hits both alike) and the PSNR of its frames against the baseline's (same seed:
the only difference is what the cache skipped). MagCache's calibration run is done once per setting before timing
and reported apart. On the tiny random model the figures show that the hooks run on both experts, skip steps and
stay close to the baseline; they do not forecast the quality cost on real weights (random weights give frames of
little detail, which flatters PSNR): rerun with --model on a real checkpoint for that.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SETTINGS = ["fbc:0.05", "fbc:0.1", "fbc:0.2", "mag:0.06", "mag:0.12", "mag:0.24"]


def psnr(a, b) -> float:
    import numpy as np

    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a Wan diffusers folder or hub id (default: a tiny model built now)")
    ap.add_argument("--variant", default="a14b", choices=["t2v", "a14b", "ti2v"], help="tiny model variant")
    ap.add_argument("--steps", type=int, default=20, help="denoising steps (default 20)")
    ap.add_argument("--seconds", type=float, default=2.0, help="shot length (default 2 s)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cache", action="append", help=f"cache settings to try (default: {' '.join(SETTINGS)})")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    ap.add_argument("--device", help="cuda or cpu (default: cuda if available)")
    args = ap.parse_args(argv)

    import numpy as np
    import torch

    from briefreel.render.base import RenderSettings
    from briefreel.render.wan import WanRenderer
    from briefreel.render.wan_tiny import make_tiny_wan
    from briefreel.storyboard.schema import Storyboard

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="wan-cache-"))
    model = args.model or str(make_tiny_wan(work / f"tiny-{args.variant}", args.variant))
    board = Storyboard.model_validate({"aspect_ratio": "16:9", "shots": [{
        "id": "S01", "size": "MS", "duration_s": args.seconds, "description": "A lighthouse at dawn",
        "prompt": "A lighthouse on a cliff at dawn, waves breaking below, slow push in, cinematic"}]})
    shot, settings = board.shots[0], RenderSettings.for_board(board)
    frames = round(args.seconds * settings.fps)

    def run(renderer) -> tuple[np.ndarray, float, dict]:
        gen = renderer.generation(shot, board, settings, frames)
        chunks, timings = renderer.generate(gen, label="cache-bench")
        return np.concatenate(chunks), timings["denoise_s"], timings

    base = WanRenderer(model, steps=args.steps, seed=7, device=args.device)
    reference, _, _ = run(base)  # warm-up and the reference frames
    candidates = {}
    for setting in args.cache or SETTINGS:
        r = WanRenderer(model, steps=args.steps, seed=7, device=args.device, cache=setting)
        frames_out, _, t = run(r)  # MagCache calibrates here, once
        candidates[setting] = {"renderer": r, "frames": frames_out, "calibration_s": t.get("mag_calibration_s"),
                               "times": []}
    base_times = []
    for _ in range(args.repeats):  # interleaved: baseline, then each setting
        base_times.append(run(base)[1])
        for c in candidates.values():
            c["times"].append(run(c["renderer"])[1])
    b = statistics.median(base_times)
    dev = base._loaded.device
    print(f"wan cache quality: {base.spec.family} on {dev}, {args.steps} steps, {frames} frames at 24 fps "
          f"({'+'.join(map(str, base.generation(shot, board, settings, frames)['segments']))} native), "
          f"seed 7, median of {args.repeats}")
    print(f"  no cache (baseline, same run)   denoise {b:.4f} s   ratio 1.00   PSNR inf")
    for setting, c in candidates.items():
        m = statistics.median(c["times"])
        p = psnr(reference, c["frames"])
        calib = f"   (MagCache calibration {c['calibration_s']:.3f} s, once)" if c["calibration_s"] else ""
        print(f"  {setting:<10} denoise {m:.4f} s   ratio {m / b:.2f}   PSNR {p:.1f} dB{calib}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
