"""How fast the rules planner storyboards a 122-page feature screenplay, beside just reading its text.

    .venv/bin/python bench/storyboard_speed.py [--pages 122] [--repeat 3] [--layout]

Prints the rules planner's time, the baseline (joining the brief's text and splitting it into lines, which every
planner must at least do) and their ratio. The goal in the storyboard issue is ≤ 5 s for 122 pages on 2 cores.
``--layout`` gives the pages line positions too (as the PDF extractor does), which exercises the indentation path.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briefreel.parsers.brief import Brief, Line, Page  # noqa: E402

NAMES = ["MIA", "BEN", "JUNE", "DEAN", "RUI", "INES", "TOMAS", "PRIYA", "KAI", "ANA"]
PLACES = ["HARBOUR", "DINER", "KITCHEN", "ROOFTOP", "STATION", "MUSEUM", "BAKERY", "STREET", "LIGHTHOUSE"]
ACTIONS = [
    "Rain hammers a buzzing neon sign. A lone pickup pulls into the empty lot, wipers slapping.",
    "{a} crosses the room without a word and sets a cup down on the counter.",
    "CLOSE ON {a}'s hand sliding a small red bottle across the table.",
    "WIDE: the whole street wakes up, shutters rattling, a bus hissing at the stop.",
    "{a} and {b} stand at the window. Neither of them moves. The clock ticks.",
    "The camera slowly pushes in on {a} as the music fades out.",
]
LINES = ["You're late.", "Traffic.", "Whatever's still hot.", "Nothing's hot at this hour.",
         "We should have left an hour ago, and you know it.", "Told you."]
LINES_PER_PAGE = 54


def screenplay_lines(pages: int) -> list[list[tuple[str, str]]]:
    """Pages of (kind, text) in Fountain order, about 54 lines a page like a real script."""
    out: list[list[tuple[str, str]]] = []
    page: list[tuple[str, str]] = []
    k = 0
    while len(out) < pages:
        a, b = NAMES[k % len(NAMES)], NAMES[(k + 3) % len(NAMES)]
        block = [("heading", f"{'INT' if k % 2 else 'EXT'}. {PLACES[k % len(PLACES)]} - {'NIGHT' if k % 3 else 'DAY'}"),
                 ("blank", "")]
        for j in range(3):
            block += [("action", ACTIONS[(k + j) % len(ACTIONS)].format(a=a.title(), b=b.title())), ("blank", ""),
                      ("cue", a if j % 2 == 0 else b), ("dialogue", LINES[(k + j) % len(LINES)]), ("blank", "")]
        for item in block:
            page.append(item)
            if len(page) >= LINES_PER_PAGE:
                out.append(page)
                page = []
        k += 1
    return out[:pages]


def screenplay_brief(pages: int = 122, layout: bool = False) -> Brief:
    """A feature-length screenplay as a Brief (text only, or with line positions like the PDF extractor's)."""
    x = {"heading": 108.0, "action": 108.0, "cue": 266.0, "dialogue": 180.0, "paren": 223.0}
    out = []
    for n, items in enumerate(screenplay_lines(pages), start=1):
        text = "\n".join(t for _, t in items)
        lines = []
        if layout:
            lines = [Line(text=t, x0=x[kind], top=72.0 + 12.0 * i, x1=x[kind] + 7.2 * len(t), size=12.0)
                     for i, (kind, t) in enumerate(items) if kind != "blank"]
        out.append(Page(number=n, text=text, width=612, height=792, lines=lines))
    return Brief(pages=out, filename=f"feature_{pages}p.pdf")


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=122)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--layout", action="store_true", help="give the pages line positions (indentation path)")
    args = ap.parse_args()

    from briefreel.storyboard import plan_rules

    brief = screenplay_brief(args.pages, layout=args.layout)
    board = plan_rules(brief)
    baseline = _best(lambda: brief.text.split("\n"), args.repeat)
    rules = _best(lambda: plan_rules(brief), args.repeat)
    print(f"screenplay: {args.pages} pages, {len(brief.text.splitlines())} lines, {len(board.shots)} shots, "
          f"{len(board.scenes)} scenes ({'with' if args.layout else 'without'} line positions)")
    print(f"rules planner      {rules:8.3f} s   (goal <= 5 s for 122 pages on 2 cores)")
    print(f"baseline (text)    {baseline:8.4f} s   joining and splitting the brief's text")
    print(f"ratio              {rules / max(baseline, 1e-9):8.0f} x")
    double = screenplay_brief(args.pages * 2, layout=args.layout)
    rules2 = _best(lambda: plan_rules(double), max(1, args.repeat - 1))
    print(f"{args.pages * 2} pages          {rules2:8.3f} s   ({rules2 / rules:.2f}x the time for 2x the pages: "
          f"linear is 2.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
