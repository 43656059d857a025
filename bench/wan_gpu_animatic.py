"""Issue 14's goal, end to end on one GPU: the bundled English example's 30 s animatic through Wan2.2-T2V-A14B in
the fast mode, at 480p, through ``render_board`` (plan, render every shot, conform, join), timed.

    python3 bench/wan_gpu_animatic.py --out $OUT/animatic          # one H200 (bench/wan_gpu_animatic.sh)
    .venv/bin/python bench/wan_gpu_animatic.py --tiny --out /tmp/tiny-animatic   # the same path on the CPU

What it does, top to bottom:

1. the board: ``bench/wan_gpu_animatic_shots.json``, the example brief (``examples/brief_en.pdf``, password
   ``reel-2026``) as the rules planner plans it (7 shots, 30 s, 16:9), committed so the GPU machine needs no
   PDF intake (pikepdf, pdfplumber...);
2. the model: A14B built from its published configs with random bf16 weights directly on the card
   (``render/wan_sizes.py``: meta device, then materialised; nothing on disk), its configs written to a folder for
   the renderer's model spec;
3. a random rank-64 LoRA in the LightX2V key naming, written to /tmp;
4. ``WanRenderer(folder, pipeline=pipe, preset="fast", lora=PATH:1.0, width=832, height=480)``: 4 Euler steps, no
   CFG pass, shift 5, the LoRA fused into both experts, each distinct prompt encoded once;
5. ``render_board(board, --out, renderer=..., exports=False, step_events=True)``: every shot rendered (no shot
   cache), conformed to 24 fps 1280x720, joined into ``animatic.mp4``; ``render.json`` beside it.

It prints the wall time of the whole animatic (and the model build before it, apart), each shot's seconds (denoise,
VAE decode, write), and the ratio to the 300 s goal and to the 40-step projection of the same board from
``bench/results/wan_gpu.log`` (the A14B 480p on-card case: seconds per 81-frame clip at 40 steps with CFG, scaled
by each shot's latent frames). The pictures are noise (random weights); the compute and memory are the real ones.
``--tiny`` runs the very same path with the tiny configs on the CPU (its ratios mean nothing). A summary is written
to ``--out``/wan_gpu_animatic.json.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHOTS = ROOT / "bench" / "wan_gpu_animatic_shots.json"
GPU_LOG = ROOT / "bench" / "results" / "wan_gpu.log"
GOAL_S = 300.0  # issue 14: an 8-shot, 30 s animatic at 480p through A14B in <= 5 minutes on one H200
CLIP_40_STEP_S = 262.4  # wan_gpu.log, [a14b-480p-gpu]: one 81-frame 480p clip, 40 steps with CFG, on the H200
LORA_PATH = Path(tempfile.gettempdir()) / "briefreel_bench_lightx2v_rank64.safetensors"


def clip_40_step_s() -> float:
    """The measured 40-step seconds per 81-frame 480p A14B clip, read from bench/results/wan_gpu.log."""
    try:
        text = GPU_LOG.read_text(encoding="utf-8")
        block = text[text.index("[a14b-480p-gpu]"):]
        return float(re.search(r"5 s clip, projected to the full schedule: ([\d.]+) s", block).group(1))
    except (OSError, ValueError, AttributeError):
        return CLIP_40_STEP_S


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder for animatic.mp4, render.json, wan_gpu_animatic.json")
    ap.add_argument("--tiny", action="store_true", help="the tiny configs on the CPU (checks the path, not speed)")
    ap.add_argument("--shots", default=str(SHOTS), help="the board (default: the example brief, planned)")
    ap.add_argument("--rank", type=int, default=64, help="LoRA rank (default 64)")
    ap.add_argument("--size", default="832x480", help="generation size (default 832x480; --tiny: the tiny model's)")
    args = ap.parse_args()

    import torch

    from briefreel.render.pipeline import render_board
    from briefreel.render.wan import WanRenderer, segment_plan
    from briefreel.render.wan_sizes import build_pipeline, write_config_folder, write_random_lora
    from briefreel.storyboard.schema import Storyboard

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = "cpu" if args.tiny or not torch.cuda.is_available() else "cuda"
    if args.tiny:
        torch.set_num_threads(min(2, torch.get_num_threads()))
    name = "t2v-a14b"
    print(f"wan_gpu_animatic: {torch.cuda.get_device_name(0) if device == 'cuda' else 'CPU'}, torch "
          f"{torch.__version__}, {'tiny configs' if args.tiny else 'Wan2.2-T2V-A14B at its released size'}; "
          f"imports {time.perf_counter() - START:.1f} s", flush=True)

    # 1-3. the board, the model (random weights made on the card), the LoRA
    board = Storyboard.load(args.shots)
    work = Path(tempfile.mkdtemp(prefix="wan-animatic-"))
    folder = write_config_folder(name, work / "configs", tiny=args.tiny)
    t0 = time.perf_counter()
    pipe = build_pipeline(name, device=device, dtype="bfloat16" if device == "cuda" else "float32", tiny=args.tiny)
    if device == "cuda":
        torch.cuda.synchronize()
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    lora = write_random_lora(LORA_PATH, name, rank=args.rank, tiny=args.tiny)
    lora_write_s = time.perf_counter() - t0
    params = sum(p.numel() for c in pipe.components.values() if isinstance(c, torch.nn.Module) for p in c.parameters())
    print(f"[build] {params / 1e9:.2f} B parameters on {device} in {build_s:.1f} s; random rank-{args.rank} LoRA "
          f"({lora.stat().st_size / 2**20:.0f} MiB) written in {lora_write_s:.1f} s", flush=True)

    # 4. the renderer, fast mode
    size = {} if args.tiny else dict(zip(("width", "height"), map(int, args.size.lower().split("x"))))
    renderer = WanRenderer(folder, pipeline=pipe, preset="fast", lora=f"{lora}:1.0", seed=0, device=device, **size)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    # 5. the animatic through render_board, every shot rendered
    shot_s: dict[str, float] = {}

    def on_shot(e) -> None:
        if e.status == "step":
            print(f"  {e.shot_id} step {e.step}/{e.steps}  {time.perf_counter() - t_render:.1f} s", flush=True)
        elif e.status == "rendered":
            shot_s[e.shot_id] = e.seconds
            print(f"[{e.shot_id}] rendered in {e.seconds:.1f} s ({e.done}/{e.total})", flush=True)
        elif e.status == "failed":
            print(f"[{e.shot_id}] failed: {e.error}", flush=True)

    t_render = time.perf_counter()
    report = render_board(board, out, renderer=renderer, use_cache=False, cache_dir=work / "cache", progress=False,
                          exports=False, on_shot=on_shot, step_events=True)
    if device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t_render

    # the report
    record = json.loads(report.render_json.read_text(encoding="utf-8"))
    rows = []
    per_clip = clip_40_step_s()
    projection = 0.0
    for shot in record["shots"]:
        info = shot["info"]
        segments = info.get("segments") or []
        latent = sum((n - 1) // 4 + 1 for n in segments)
        projection += per_clip * latent / 21  # 81 frames = 21 latent frames
        rows.append({"id": shot["id"], "duration_s": shot["duration_s"], "segments": segments,
                     "seconds": shot_s.get(shot["id"], shot["seconds"]), "denoise_s": info.get("denoise_s"),
                     "vae_decode_s": info.get("vae_decode_s"), "encode_s": info.get("encode_s"),
                     "step_s": info.get("step_s"), "text_encoder_calls": info.get("text_encoder_calls")})
        print(f"  {shot['id']} {shot['duration_s']:.2f} s  segments {segments}  {rows[-1]['seconds']:.1f} s "
              f"(denoise {info.get('denoise_s')} s, decode {info.get('vae_decode_s')} s, write "
              f"{info.get('encode_s')} s, step {info.get('step_s')})", flush=True)
    first = record["shots"][0]["info"] if record["shots"] else {}
    timings = record.get("timings", {})
    summary = {
        "tiny": args.tiny, "device": device, "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
        "shots": len(board.shots), "duration_s": board.duration_s, "size": [first.get("width"), first.get("height")]
        if "width" in first else args.size, "preset": first.get("preset"), "steps": first.get("steps"),
        "lora": first.get("lora"), "lora_rank": args.rank, "lora_fuse_s": first.get("lora_s"),
        "memory_plan": first.get("memory_plan"), "build_s": round(build_s, 1), "animatic_wall_s": round(wall, 1),
        "render_json_timings": timings, "per_shot": rows, "goal_s": GOAL_S, "ratio_to_goal": round(wall / GOAL_S, 3),
        "projection_40_step_s": round(projection, 1), "clip_40_step_s": per_clip,
        "ratio_to_40_step": round(wall / projection, 3) if projection else None,
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1) if device == "cuda" else None,
        "animatic": str(report.animatic), "frames": report.frames, "total_s": round(time.perf_counter() - START, 1),
    }
    (out / "wan_gpu_animatic.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    note = " (tiny on the CPU: not comparable)" if args.tiny else ""
    print(f"[animatic] {len(board.shots)} shots, {board.duration_s:g} s, {report.frames} frames -> {report.animatic}")
    print(f"  wall time for the whole animatic: {wall:.1f} s (render {timings.get('render_s')} s, conform "
          f"{timings.get('conform_s')} s, join {timings.get('join_s')} s; model build {build_s:.1f} s before it, "
          f"not counted){note}")
    print(f"  goal <= {GOAL_S:.0f} s: ratio {wall / GOAL_S:.2f} ({'met' if wall <= GOAL_S else 'NOT met'}){note}")
    print(f"  40-step projection of this board from {GPU_LOG.relative_to(ROOT)} ({per_clip:g} s per 81-frame "
          f"clip, by latent frames): {projection:.1f} s; ratio {wall / projection:.3f} "
          f"({projection / wall:.1f}x faster){note}")
    if device == "cuda":
        print(f"  peak GPU memory {summary['peak_gpu_gib']} GiB allocated")
    print(f"done in {time.perf_counter() - START:.0f} s", flush=True)
    return 0 if report.animatic.is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
