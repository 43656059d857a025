"""The ``briefreel`` command line. It only wires parsers → storyboard → render.

    briefreel parse BRIEF.pdf [--json]
    briefreel shots BRIEF.pdf [--planner rules|llm] [-o shots.json]
    briefreel run BRIEF.pdf --out DIR [--renderer panel|wan] [--model PATH_OR_HUB_ID] [--no-cache]
    briefreel render SHOTS.json --out DIR [--renderer panel|wan] [--model ...] [--no-cache]

The password is read from ``BRIEFREEL_PASSWORD``, from ``--password-file``, or from a prompt on a terminal;
never from a bare argument (it would show in ``ps`` and in shell history).
Errors are one line on stderr with a documented exit code (README, "Exit codes").
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from briefreel.parsers.errors import BriefError, PasswordRequired
from briefreel.render.errors import RenderError
from briefreel.storyboard.errors import StoryboardError

EXIT_USAGE = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    exit_code = EXIT_USAGE


# -- password -------------------------------------------------------------------------------------------------------

def _password_from_args(args: argparse.Namespace) -> str | None:
    if getattr(args, "password_file", None):
        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read --password-file: {exc.strerror}") from None
        # Only the line ending is dropped: spaces can be part of a password.
        return text.rstrip("\r\n").split("\n", 1)[0]
    env = os.environ.get("BRIEFREEL_PASSWORD")
    if env is not None:
        return env
    return None


def _open_brief(args: argparse.Namespace):
    """Parse the brief, prompting for a password on a terminal when the PDF needs one."""
    from briefreel.parsers import open_brief

    password = _password_from_args(args)
    try:
        return open_brief(Path(args.brief), password=password)
    except PasswordRequired:
        if password is None and sys.stdin.isatty() and sys.stderr.isatty():
            password = getpass.getpass(f"Password for {Path(args.brief).name}: ")
            return open_brief(Path(args.brief), password=password)
        raise


# -- commands -------------------------------------------------------------------------------------------------------

def cmd_parse(args: argparse.Namespace) -> int:
    brief = _open_brief(args)
    if args.json:
        json.dump(brief.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(brief.text)
        if not brief.text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def _plan(args: argparse.Namespace, brief):
    from briefreel.storyboard import plan

    board = plan(brief, planner=args.planner)
    source = board.source or {}
    if source.get("llm_fallback_reason"):
        print(f"briefreel: note: the LLM planner's answer was not used ({source['llm_fallback_reason']}); "
              "these are the rules planner's shots", file=sys.stderr)
    for problem in (source.get("problems") or [])[:5]:
        print(f"briefreel: check: {problem}", file=sys.stderr)
    return board


def cmd_shots(args: argparse.Namespace) -> int:
    board = _plan(args, _open_brief(args))
    if args.output and args.output != "-":
        board.save(args.output)
    else:
        sys.stdout.write(board.to_json() + "\n")
    return 0


def _render_options(args: argparse.Namespace) -> dict:
    opts = {}
    for key in ("model", "revision", "steps", "guidance", "guidance_2", "flow_shift", "memory", "seed", "device",
                "dtype"):
        value = getattr(args, key, None)
        if value is not None:
            opts[key] = value
    if getattr(args, "size", None):
        opts["width"], opts["height"] = args.size
    if args.renderer != "wan":
        wan_only = sorted(set(opts) - {"seed"})
        if wan_only:
            flags = ", ".join("--" + k.replace("_", "-") for k in wan_only)
            raise UsageError(f"{flags}: only with --renderer wan")
    return opts


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 832x480") from None
    if w <= 0 or h <= 0 or w % 16 or h % 16:
        raise argparse.ArgumentTypeError("width and height must be positive multiples of 16")
    return w, h


def _render(args: argparse.Namespace, board, out: Path) -> int:
    from briefreel.render.pipeline import render_board

    report = render_board(
        board,
        out,
        renderer=args.renderer,
        renderer_options=_render_options(args),
        use_cache=not args.no_cache,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        progress=not args.quiet,
    )
    print(
        f"{out / 'animatic.mp4'}  ({len(board.shots)} shots, {board.duration_s:.2f} s; "
        f"rendered {len(report.rendered)}, reused {len(report.reused)})",
        file=sys.stderr,
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    board = _plan(args, _open_brief(args))
    out.mkdir(parents=True, exist_ok=True)
    board.save(out / "shots.json")
    return _render(args, board, out)


def cmd_render(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from briefreel.storyboard.errors import InvalidShots
    from briefreel.storyboard.schema import Storyboard

    try:
        board = Storyboard.load(args.shots)
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.shots}") from None
    except (ValidationError, ValueError) as exc:
        raise InvalidShots(f"{args.shots} is not a valid shots.json: {_first_error(exc)}") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if Path(args.shots).resolve() != (out / "shots.json").resolve():
        board.save(out / "shots.json")
    return _render(args, board, out)


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc).splitlines()[0]


# -- argument parsing -----------------------------------------------------------------------------------------------

def _add_password(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-file",
        metavar="FILE",
        help="read the PDF password from FILE (first line). Or set BRIEFREEL_PASSWORD; on a terminal you are asked.",
    )


def _add_planner(p: argparse.ArgumentParser) -> None:
    p.add_argument("--planner", choices=["rules", "llm"], default="rules", help="shot planner (default: rules)")


def _add_render(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--renderer", choices=["panel", "wan"], default="panel", help="shot renderer (default: panel)")
    p.add_argument("--seed", type=int, help="base seed; each shot derives its own (recorded in render.json)")
    wan = p.add_argument_group("Wan text-to-video (--renderer wan)")
    wan.add_argument("--model", metavar="PATH_OR_HUB_ID", help="Wan weights: a diffusers folder or a hub id")
    wan.add_argument("--revision", help="hub revision (branch, tag or commit) for a hub id")
    wan.add_argument("--steps", type=int, help="denoising steps (default: the model's)")
    wan.add_argument("--guidance", type=float, help="guidance scale (default: the model's)")
    wan.add_argument("--guidance-2", dest="guidance_2", type=float,
                     help="guidance of the low-noise expert (Wan2.2-T2V-A14B; default: the model's)")
    wan.add_argument("--flow-shift", dest="flow_shift", type=float, help="scheduler flow shift (default: the model's)")
    wan.add_argument("--size", type=_size, metavar="WxH", help="generation size (default: the model's native size "
                     "nearest the brief's aspect ratio)")
    wan.add_argument("--memory", choices=["auto", "gpu", "model_offload", "group_offload", "sequential_offload"],
                     help="memory plan (default: auto, from free VRAM)")
    wan.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    wan.add_argument("--dtype", choices=["bfloat16", "float16", "float32"],
                     help="weights dtype (default: bfloat16 on GPU, float32 on CPU)")
    p.add_argument("--no-cache", action="store_true", help="render every shot again")
    p.add_argument("--cache-dir", metavar="DIR", help="shot cache (default: $BRIEFREEL_CACHE_DIR or ~/.cache/briefreel)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefreel",
        description="Turn a (password-protected) PDF brief into a shot list, a storyboard and an animatic.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="decrypt and extract a brief: text, tables, metadata")
    p.add_argument("brief", metavar="BRIEF.pdf")
    p.add_argument("--json", action="store_true", help="pages, tables and metadata as JSON")
    _add_password(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("shots", help="storyboard a brief: shots.json on stdout")
    p.add_argument("brief", metavar="BRIEF.pdf")
    p.add_argument("-o", "--output", metavar="FILE", help="write shots.json to FILE instead of stdout")
    _add_password(p)
    _add_planner(p)
    p.set_defaults(func=cmd_shots)

    p = sub.add_parser("run", help="brief in; shots.json, animatic.mp4, render.json and exports out")
    p.add_argument("brief", metavar="BRIEF.pdf")
    _add_password(p)
    _add_planner(p)
    _add_render(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("render", help="render an (edited) shots.json; unchanged shots are reused")
    p.add_argument("shots", metavar="SHOTS.json")
    _add_render(p)
    p.set_defaults(func=cmd_render)

    # Commands that live beside their feature; their modules import nothing heavy until the command runs.
    from briefreel.service.cli import register_cli as register_service
    from briefreel.render.wan_tiny import register_cli as register_tiny_wan

    register_tiny_wan(sub)
    register_service(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (BriefError, StoryboardError, RenderError, UsageError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        print(f"briefreel: error: {message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("briefreel: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:  # one line, no traceback (set BRIEFREEL_DEBUG=1 for one)
        if os.environ.get("BRIEFREEL_DEBUG"):
            raise
        print(f"briefreel: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
