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

from briefreel.errors import BriefreelError, UsageError, error_payload
from briefreel.job import RenderOptions, option_specs, parse_size, read_brief, storyboard_brief

__all__ = ["UsageError", "build_parser", "main"]


# -- password -------------------------------------------------------------------------------------------------------

def _password_from_args(args: argparse.Namespace) -> str | None:
    if getattr(args, "password_file", None):
        try:
            text = Path(args.password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read --password-file: {exc.strerror}") from None
        # Only the line ending is dropped: spaces can be part of a password.
        return text.rstrip("\r\n").split("\n", 1)[0]
    return os.environ.get("BRIEFREEL_PASSWORD")


def _prompt_for(brief: str):
    """On a terminal, a prompt for the password of a PDF that needs one; elsewhere nothing to ask."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    return lambda: getpass.getpass(f"Password for {Path(brief).name}: ")


# -- commands -------------------------------------------------------------------------------------------------------

def cmd_parse(args: argparse.Namespace) -> int:
    brief = read_brief(Path(args.brief), _password_from_args(args), ask_password=_prompt_for(args.brief))
    if args.json:
        json.dump(brief.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(brief.text)
        if not brief.text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def _storyboard(args: argparse.Namespace):
    planned = storyboard_brief(Path(args.brief), _password_from_args(args), planner=args.planner,
                               ask_password=_prompt_for(args.brief))
    for note in planned.notes:
        print(f"briefreel: {note}", file=sys.stderr)
    return planned.board


def cmd_shots(args: argparse.Namespace) -> int:
    board = _storyboard(args)
    if args.output and args.output != "-":
        board.save(args.output)
    else:
        sys.stdout.write(board.to_json() + "\n")
    return 0


def _render(args: argparse.Namespace, options: RenderOptions, board, out: Path) -> int:
    from briefreel.render.pipeline import render_board

    report = render_board(
        board,
        out,
        renderer=options.renderer,
        renderer_options=options.renderer_kwargs(),
        use_cache=options.use_cache,
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
    options = render_options(args)  # refused before the brief is read
    out = Path(args.out)
    board = _storyboard(args)
    out.mkdir(parents=True, exist_ok=True)
    board.save(out / "shots.json")
    return _render(args, options, board, out)


def cmd_render(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from briefreel.storyboard.errors import InvalidShots
    from briefreel.storyboard.schema import Storyboard

    options = render_options(args)
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
    return _render(args, options, board, out)


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc).splitlines()[0]


# -- render options: flags made from the job contract ---------------------------------------------------------------

def _dest(flag: str) -> str:
    return "opt_" + flag.lstrip("-").replace("-", "_")


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`~briefreel.job.RenderOptions` field (``--size WxH`` for width and height together);
    values stay text here and are checked by the contract, so every surface refuses them with the same words."""
    wan = parser.add_argument_group("Wan text-to-video (--renderer wan)")
    seen: set[str] = set()
    for spec in option_specs():
        if spec.flag in seen:
            continue
        seen.add(spec.flag)
        group = wan if spec.renderers == ("wan",) else parser
        kwargs: dict = {"dest": _dest(spec.flag), "default": None, "help": spec.help}
        if spec.kind == "boolean" and spec.flag.startswith("--no-"):
            kwargs.update(action="store_const", const=False)
        elif spec.kind == "boolean":
            kwargs.update(action=argparse.BooleanOptionalAction)
        elif spec.choices:
            kwargs["metavar"] = "{" + ",".join(spec.choices) + "}"
        elif spec.flag == "--size":
            kwargs.update(metavar="WxH", help="generation size, e.g. 832x480 (default: the model's native size "
                                              "nearest the brief's aspect ratio)")
        else:
            kwargs["metavar"] = spec.name.upper() if spec.name != "model" else "PATH_OR_HUB_ID"
        group.add_argument(spec.flag, **kwargs)


def render_options(args: argparse.Namespace) -> RenderOptions:
    """The parsed flags as validated :class:`RenderOptions` (errors name the flags)."""
    values: dict = {}
    for spec in option_specs():
        value = getattr(args, _dest(spec.flag), None)
        if value is None:
            continue
        if spec.flag == "--size":
            value = parse_size(value, "--size")[spec.name]
        values[spec.name] = value
    flags = {spec.name: spec.flag for spec in option_specs()}
    return RenderOptions.build(values, spell=lambda name: flags.get(name, name))


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
    add_render_options(p)
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
    except BrokenPipeError:
        return 0
    except (Exception, KeyboardInterrupt) as exc:  # one line, a documented exit code
        if os.environ.get("BRIEFREEL_DEBUG") and not isinstance(exc, (BriefreelError, KeyboardInterrupt)):
            raise
        print(f"briefreel: {_one_line(exc)}", file=sys.stderr)
        return error_payload(exc)["exit_code"]


def _one_line(exc: BaseException) -> str:
    payload = error_payload(exc)
    if payload["code"] == "interrupted":
        return "interrupted"
    if payload["code"] == "internal":  # a local run: the type and first line help (BRIEFREEL_DEBUG=1: traceback)
        return f"internal error: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
    return f"error: {payload['message']}"


if __name__ == "__main__":
    sys.exit(main())
