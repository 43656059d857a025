"""Write the storyboard exports of a shots.json again, e.g. on Letter paper or after editing text only.

    python -m briefreel.render.exports OUT/shots.json [--out OUT] [--page A4|Letter] [--no-clips]

Clips are taken from ``OUT/clips/<id>.mp4`` and the animatic from ``OUT/animatic.mp4`` when they exist (they
must come from the same shots.json: the timelines and the page time the shots from it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from briefreel.render.exports import ExportError, write_exports
from briefreel.storyboard.errors import InvalidShots
from briefreel.storyboard.schema import Storyboard


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m briefreel.render.exports", description=__doc__.splitlines()[0])
    p.add_argument("shots", metavar="SHOTS.json")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the folder of SHOTS.json)")
    p.add_argument("--page", choices=["A4", "Letter"], default="A4", help="paper of storyboard.pdf (default: A4)")
    p.add_argument("--no-clips", action="store_true", help="use drawn panels even where clips exist")
    args = p.parse_args(argv)
    try:
        board = Storyboard.load(args.shots)
    except (OSError, ValueError) as exc:
        print(f"briefreel: error: cannot read {args.shots}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return InvalidShots.exit_code
    out = Path(args.out) if args.out else Path(args.shots).parent
    clips = {}
    if not args.no_clips:
        clips = {s.id: out / "clips" / f"{s.id}.mp4" for s in board.shots if (out / "clips" / f"{s.id}.mp4").is_file()}
    animatic = out / "animatic.mp4"
    try:
        paths = write_exports(board, out, clips=clips, animatic=animatic if animatic.is_file() else None,
                              page=args.page)
    except ExportError as exc:
        print(f"briefreel: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
