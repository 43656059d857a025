"""The seam inside a long Wan shot, and the cheapest keyframe still, on tiny random Wan pipelines (CPU).

    .venv/bin/python bench/wan_seam.py                 # ti2v and i2v tiny models, 2-segment shots
    .venv/bin/python bench/wan_seam.py --stills        # also: a single-frame still vs the first frame of 4k+1

Seam: a shot two generations long is rendered twice on the same model and seed: chained (segment 2 starts from
segment 1's last frame, ``render/wan_i2v.py``) and as before (segment 2 from a new seed, text only). For each,
the mean absolute difference (pixels in [0, 255]) between the two frames across the boundary is printed beside
the mean difference between consecutive frames within the segments, and their ratio (1 = the boundary looks like
any other frame step; a hard cut is far above 1).

The tiny models have random weights, so what the ratio says is about the mechanism (the first latent frame *is*
the picture for TI2V; I2V-A14B's experts take it as a channel they have not learned to use), not about what
trained weights do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT.parent) not in sys.path:
    sys.path.insert(0, str(ROOT.parent))


def seam(chunks) -> tuple[float, float]:
    """(mean |difference| across each boundary, mean |difference| between consecutive frames within segments)."""
    import numpy as np

    within, across = [], []
    for i, chunk in enumerate(chunks):
        c = np.asarray(chunk, dtype=np.float64) * 255.0
        within += [float(np.abs(c[j + 1] - c[j]).mean()) for j in range(len(c) - 1)]
        if i:
            prev = np.asarray(chunks[i - 1][-1], dtype=np.float64) * 255.0
            across.append(float(np.abs(c[0] - prev).mean()))
    return sum(across) / len(across), sum(within) / len(within)


def board_one(duration: float):
    from briefreel.storyboard.schema import Storyboard

    return Storyboard.model_validate({"shots": [{"id": "S01", "size": "MS", "duration_s": duration,
                                                 "description": "a red kite over a grey harbour",
                                                 "prompt": "a red kite over a grey harbour, slow push in"}]})


def measure(model: Path, duration: float, seed: int) -> dict:
    from briefreel.render.base import RenderSettings
    from briefreel.render.keyframes import drawn_still
    from briefreel.render.wan import WanRenderer
    from briefreel.render.wan_i2v import extend_generation, generate_conditioned, needs_image

    board = board_one(duration)
    shot = board.shots[0].model_copy(update={"seed": seed})
    settings = RenderSettings.for_board(board)
    frames = round(duration * settings.fps)
    renderer = WanRenderer(model, seed=seed)
    gen = renderer.generation(shot, board, settings, frames)
    chained = extend_generation(renderer, shot, board, settings, frames, gen)
    start = drawn_still(shot, board, gen["width"], gen["height"])
    t0 = time.perf_counter()
    chunks, _ = generate_conditioned(renderer, chained, start)
    t_chain = time.perf_counter() - t0
    out = {"model": model.name, "segments": chained["segments"], "chained": seam(chunks), "chain_s": t_chain}
    # as before: every segment its own seed, from the same picture (I2V) or text (TI2V), no continuation
    indep = []
    for n, s in zip(chained["segments"], chained["segment_seeds"]):
        one = {**chained, "segments": [n], "segment_seeds": [s]}
        c, _ = generate_conditioned(renderer, one, start if needs_image(renderer.spec) else None)
        indep.append(c[0])
    out["independent"] = seam(indep)
    return out


def measure_direct(model: Path, duration: float, seed: int) -> dict:
    """The same measurement straight on the diffusers I2V pipeline (for a renderer that does not load I2V yet)."""
    import diffusers
    import torch

    from briefreel.render.base import RenderSettings
    from briefreel.render.keyframes import drawn_still
    from briefreel.render.seeds import segment_seed
    from briefreel.render.wan_i2v import TINY_I2V_CARD, chained_segment_plan, to_picture

    pipe = diffusers.WanImageToVideoPipeline.from_pretrained(model)
    pipe.set_progress_bar_config(disable=True)
    board = board_one(duration)
    shot = board.shots[0]
    settings = RenderSettings.for_board(board)

    class Spec:  # what chained_segment_plan reads
        fps, max_frames, temporal_factor = TINY_I2V_CARD["fps"], TINY_I2V_CARD["max_frames"], 4

    segments = chained_segment_plan(round(duration * settings.fps), settings.fps, Spec)
    seeds = [seed] + [segment_seed(seed, i) for i in range(1, len(segments))]
    w, h = TINY_I2V_CARD["sizes"][0]
    embeds = diffusers.WanPipeline._get_t5_prompt_embeds(pipe, prompt=shot.prompt)
    start = drawn_still(shot, board, w, h)

    def call(image, n, s):
        return pipe(image=image, prompt_embeds=embeds, negative_prompt_embeds=embeds, height=h, width=w,
                    num_frames=n, num_inference_steps=TINY_I2V_CARD["steps"], guidance_scale=3.5,
                    generator=torch.Generator().manual_seed(s), output_type="np").frames[0]

    chunks, cond = [], start
    for i, (n, s) in enumerate(zip(segments, seeds)):
        frames = call(cond, n, s)
        chunks.append(frames[1:] if i else frames)
        cond = to_picture(frames[-1])
    indep = [call(start, n, s) for n, s in zip(segments, seeds)]
    return {"model": model.name, "segments": segments, "chained": seam(chunks), "independent": seam(indep)}


def stills(model: Path, repeats: int) -> dict:
    from briefreel.render.base import RenderSettings
    from briefreel.render.keyframes import wan_still
    from briefreel.render.wan import WanRenderer

    board = board_one(2.0)
    shot = board.shots[0]
    settings = RenderSettings.for_board(board)
    renderer = WanRenderer(model, seed=1)
    wan_still(renderer, shot, board, settings, frames=1)  # load and warm
    result = {}
    for frames in (1, 5):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            wan_still(renderer, shot, board, settings, frames=frames)
            times.append(time.perf_counter() - t0)
        result[frames] = sorted(times)[len(times) // 2]
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", default="ti2v,i2v", help="tiny variants (ti2v, i2v)")
    ap.add_argument("--duration", type=float, default=3.5, help="shot length in s (over one tiny generation)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--stills", action="store_true", help="also time a single-frame still vs a 5-frame clip")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from briefreel.render.wan_i2v import make_tiny_i2v
    from briefreel.render.wan_tiny import make_tiny_wan

    base = Path(tempfile.mkdtemp(prefix="wan-seam-"))
    models = {}
    for v in args.variants.split(","):
        models[v] = make_tiny_i2v(base / v) if v == "i2v" else make_tiny_wan(base / v, v)
    print(f"seam in a {args.duration:g} s shot (mean |diff| in 0..255; ratio = across / within)")
    for v, folder in models.items():
        try:
            r = measure(folder, args.duration, args.seed)
        except Exception as exc:  # noqa: BLE001 - a renderer that does not load I2V models yet
            if v != "i2v":
                raise
            print(f"  ({v}: the renderer refused it: {type(exc).__name__}; measured on the pipeline directly)")
            r = measure_direct(folder, args.duration, args.seed)
        (ca, cw), (ia, iw) = r["chained"], r["independent"]
        print(f"  {v:5s} segments {r['segments']}: chained across {ca:6.2f} within {cw:6.2f} ratio {ca / cw:5.2f}"
              f" | new seed per segment: across {ia:6.2f} within {iw:6.2f} ratio {ia / iw:5.2f}")
    if args.stills:
        print(f"keyframe still, median of {args.repeats} (tiny models, CPU, 1 thread)")
        for v in ("t2v", "a14b", "ti2v"):
            folder = models.get(v) or make_tiny_wan(base / f"still-{v}", v)
            t = stills(folder, args.repeats)
            print(f"  {v:5s} single frame {t[1] * 1000:7.1f} ms | first of 5 frames {t[5] * 1000:7.1f} ms "
                  f"| ratio {t[5] / t[1]:4.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
