"""What the storyboard exports add to a run, against the render they follow, measured in the same run.

    .venv/bin/python bench/exports.py [--repeat 3]

Board: 30 s, 8 shots at 1280x720, 24 fps (English). Per round, interleaved:

* render: ``render_board(board, renderer="panel", use_cache=False, exports=False)``, wall clock (the baseline);
* exports: ``write_exports(board, out, clips=..., animatic=...)`` on that render's clips, with the font cache
  emptied first, as in a fresh ``briefreel run`` (frame grabs, font subset, PDF, HTML, OTIO/XML/EDL, SRT, CSV).

Prints both and the ratio exports / render (the exports should stay a small tail on the render). The figure is
the median round. A second line splits the exports into their parts (last round).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briefreel.render.exports import write_exports  # noqa: E402
from briefreel.render.exports import pdffont  # noqa: E402
from briefreel.render.pipeline import render_board  # noqa: E402
from briefreel.storyboard.schema import Storyboard  # noqa: E402

SHOTS = [
    ("S01", "EWS", "push_in", 4.5, "Dawn over the harbour city, mist on the water.", "Every city has a first light."),
    ("S02", "MS", "pan_right", 4.0, "Mia at her kitchen counter opens the bottle.", "Every morning starts with this."),
    ("S03", "INSERT", "static", 2.5, "The bottle on the table, label to camera.", ""),
    ("S04", "CU", "tilt_up", 3.5, "Mia looks up, sunlight on her face.", "Fresh. Simple. Mine."),
    ("S05", "FS", "handheld", 4.0, "She walks down the city street.", ""),
    ("S06", "MLS", "whip_pan", 3.0, "A friend waves from the cafe across the street.", "Want one?"),
    ("S07", "MCU", "arc", 4.0, "The two friends laugh, bottles raised.", ""),
    ("S08", "LS", "crane_up", 4.5, "The street from above, the sun clearing the roofs.", "Start with light."),
]


def board() -> Storyboard:
    return Storyboard(title="Bench - First Light 30s", language="en", aspect_ratio="16:9", shots=[
        dict(id=i, size=s, movement=m, duration_s=d, description=desc, dialogue=line,
             dialogue_kind="vo" if line else "") for i, s, m, d, desc, line in SHOTS])


def parts(b: Storyboard, out: Path, clips: dict[str, Path]) -> dict[str, float]:
    """Each export on its own (same code paths as write_exports), seconds."""
    from briefreel.render.exports import make_stills
    from briefreel.render.exports.captions import write_captions
    from briefreel.render.exports.html import write_html
    from briefreel.render.exports.sheet import write_sheet
    from briefreel.render.exports.shotlist import write_shotlist
    from briefreel.render.exports.timeline import write_timelines

    pdffont.clear_cache()
    t = {}
    t0 = time.perf_counter()
    stills, infos, plain = make_stills(b, clips)
    t["stills"] = time.perf_counter() - t0
    dest = out / "parts"
    dest.mkdir(exist_ok=True)
    for name, job in (
        ("pdf", lambda: write_sheet(b, dest / "storyboard.pdf", stills)),
        ("html", lambda: write_html(b, dest / "storyboard.html", stills, "animatic.mp4")),
        ("timelines", lambda: write_timelines(b, out, dest, clips, infos)),
        ("srt+csv", lambda: (write_captions(b, dest / "captions.srt"), write_shotlist(b, dest / "shots.csv"))),
    ):
        t0 = time.perf_counter()
        job()
        t[name] = time.perf_counter() - t0
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    b = board()
    renders, exports = [], []
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        for i in range(args.repeat):
            out = Path(tmp) / f"r{i}"
            t0 = time.perf_counter()
            report = render_board(b, out, renderer="panel", use_cache=False, progress=False, exports=False)
            renders.append(time.perf_counter() - t0)
            pdffont.clear_cache()  # a fresh process cuts the font again
            t0 = time.perf_counter()
            write_exports(b, out, clips=report.clips, animatic=report.animatic)
            exports.append(time.perf_counter() - t0)
        split = parts(b, out, report.clips)
    r, e = statistics.median(renders), statistics.median(exports)
    print(f"render (baseline) {r:.2f} s   exports {e:.2f} s   ratio exports/render {e / r:.2f}   "
          f"(median of {args.repeat}; 8 shots, 30 s, 1280x720)")
    print("exports split: " + ", ".join(f"{k} {v:.2f} s" for k, v in split.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
