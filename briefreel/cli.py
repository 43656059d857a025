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
import threading
import time
from pathlib import Path

from briefreel.errors import BriefreelError, UsageError, error_payload
from briefreel.job import RenderOptions, option_specs, parse_size, read_brief, storyboard_brief

__all__ = ["UsageError", "build_parser", "main"]


# The exit codes (README, "Exit codes"), printed under --help.
EXIT_CODES = (
    (0, "done"),
    (1, "internal error (one line; BRIEFREEL_DEBUG=1 shows the traceback)"),
    (2, "usage error"),
    (10, "the PDF needs a password and none was given"),
    (11, "wrong password"),
    (12, "unsupported encryption (certificate / public-key security handler)"),
    (13, "damaged file or not a PDF"),
    (14, "over a safety limit (file size, pages, decompressed size, time, memory)"),
    (15, "no text layer (scanned pages)"),
    (20, "nothing in the brief could become shots"),
    (21, "invalid shots.json"),
    (30, "render or export failed"),
    (31, "renderer unavailable (missing package, model folder, GPU)"),
    (32, "render cancelled between shots; finished shots stay in the cache"),
    (130, "interrupted"),
)

# A limit's message names the Python field; a user changes it with this variable (parsers.limits reads them).
LIMIT_SETTINGS = {
    "Limits.max_file_bytes": "BRIEFREEL_MAX_FILE_MB",
    "Limits.max_pages": "BRIEFREEL_MAX_PAGES",
    "Limits.max_stream_bytes": "BRIEFREEL_MAX_STREAM_MB",
    "Limits.max_decompressed_bytes": "BRIEFREEL_MAX_DECOMPRESSED_MB",
    "Limits.max_seconds": "BRIEFREEL_PARSE_TIMEOUT",
    "Limits.max_memory_bytes": "BRIEFREEL_PARSE_MEMORY_MB",
}

# Packages of the `wan` extra: a command that needs one and lacks it gets exit 31 and the install line.
WAN_PACKAGES = ("torch", "diffusers", "transformers", "accelerate", "ftfy", "safetensors", "sentencepiece",
                "imageio", "peft")
WAN_INSTALL = "pip install 'briefreel[wan]'"

BARE_PASSWORD = ("--password is not accepted: a password on the command line shows in `ps` and in shell "
                 "history. Set BRIEFREEL_PASSWORD, use --password-file FILE, or run on a terminal to be asked")


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("briefreel")
    except (ImportError, PackageNotFoundError):
        return "0+source"


# -- progress: a status line on a terminal, log lines elsewhere -------------------------------------------------------

class Status:
    """One line of progress on stderr: redrawn in place (``\r``) on a terminal; elsewhere (a log, CI, a pipe)
    a plain line at most every ``every_s`` seconds, and every final message."""

    def __init__(self, enabled: bool = True, stream=None, every_s: float = 5.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s
        self.open = False  # a \r line is on screen
        self._last = 0.0
        self._lock = threading.Lock()

    def show(self, text: str, final: bool = False) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self.tty:
                self.stream.write("\r\x1b[K" + text)
                self.open = True
            elif final or time.monotonic() - self._last >= self.every_s:
                self.stream.write(f"briefreel: {text}\n")
                self._last = time.monotonic()
            self.stream.flush()

    def end(self) -> None:
        """Close the status line (the next message starts on a new line)."""
        with self._lock:
            if self.open:
                self.stream.write("\n")
                self.stream.flush()
                self.open = False


STATUS = Status(enabled=False)


class Heartbeat:
    """While a brief is read (a child process parses it; 1,500 pages take seconds), say so: after ``after_s``,
    the file and the time so far."""

    def __init__(self, name: str, status: Status, after_s: float = 1.5):
        self.name, self.status, self.after_s = name, status, after_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()

    def _run(self) -> None:
        if self._stop.wait(self.after_s):
            return
        while not self._stop.is_set():
            self.status.show(f"reading {self.name}: {time.monotonic() - self._start:.0f} s")
            self._stop.wait(1.0 if self.status.tty else self.status.every_s)

    def __enter__(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            if time.monotonic() - self._start >= self.after_s:
                self.status.show(f"read {self.name} in {time.monotonic() - self._start:.1f} s", final=True)
            self.status.end()

    def __exit__(self, *exc) -> None:
        self.stop()


def _input_file(path: str) -> Path:
    """An input the command reads: missing or a folder is a usage error, the same words for every command."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"no such file: {path}")
    if p.is_dir():
        raise UsageError(f"{path} is a folder, not a file")
    return p


def _out_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {path}: a file of that name exists; give a folder")
    return out


def _check_model(options: RenderOptions) -> None:
    """Before anything heavy is imported: the wan renderer needs --model, and a local folder must be there."""
    if options.renderer != "wan":
        return
    model = options.model
    if not model:
        raise UsageError("--renderer wan needs --model PATH_OR_HUB_ID: a diffusers Wan folder or a hub id such as "
                         "Wan-AI/Wan2.2-T2V-A14B-Diffusers (for a test model: briefreel make-tiny-wan DIR)")
    looks_local = (os.path.isabs(model) or model.startswith((".", "~")) or model.count("/") != 1
                   or os.sep != "/" and os.sep in model)
    path = Path(model).expanduser()
    if looks_local and not path.is_dir():
        from briefreel.render.errors import RendererUnavailable

        what = "is a file, not a model folder" if path.exists() else "no such model folder"
        raise RendererUnavailable(f"--model {model}: {what} (a diffusers Wan folder, or a hub id such as "
                                  "Wan-AI/Wan2.2-T2V-A14B-Diffusers)")


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


def _prompt_for(brief: str, heartbeat: "Heartbeat | None" = None):
    """On a terminal, a prompt for the password of a PDF that needs one; elsewhere nothing to ask."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    def ask():
        if heartbeat is not None:
            heartbeat.stop()
        return getpass.getpass(f"Password for {Path(brief).name}: ")
    return ask


# -- commands -------------------------------------------------------------------------------------------------------

def cmd_parse(args: argparse.Namespace) -> int:
    path = _input_file(args.brief)
    password = _password_from_args(args)
    with Heartbeat(path.name, STATUS) as beat:
        brief = read_brief(path, password, ask_password=_prompt_for(args.brief, beat))
    if args.json:
        json.dump(brief.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(brief.text)
        if not brief.text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def _storyboard(args: argparse.Namespace):
    path = _input_file(args.brief)
    password = _password_from_args(args)
    with Heartbeat(path.name, STATUS) as beat:
        planned = storyboard_brief(path, password, planner=args.planner, ask_password=_prompt_for(args.brief, beat))
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

    audio = _audio_options(args)
    status = STATUS

    def on_shot(e) -> None:
        if e.status == "started":
            status.show(f"shots {e.done}/{e.total}: rendering {e.shot_id}")
        elif e.status == "step":  # a Wan denoising step inside the shot (a log line at most every 5 s off a terminal)
            status.show(f"shots {e.done}/{e.total}: rendering {e.shot_id}, step {e.step}/{e.steps}")
        else:
            extra = f" ({e.seconds:.1f} s)" if e.status == "rendered" else ""
            status.show(f"shots {e.done}/{e.total}: {e.shot_id} {e.status}{extra}", final=True)

    # Denoising steps show in the status line (step events), not as diffusers' own bar, which would fight it.
    renderer_options = options.renderer_kwargs()
    try:
        report = render_board(
            board,
            out,
            renderer=options.renderer,
            renderer_options=renderer_options,
            use_cache=options.use_cache,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            progress=False,
            on_shot=on_shot,
            step_events=True,
            audio=audio,
        )
    finally:
        status.end()
    print(
        f"{out / 'animatic.mp4'}  ({len(board.shots)} shots, {board.duration_s:.2f} s; "
        f"rendered {len(report.rendered)}, reused {len(report.reused)})",
        file=sys.stderr,
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    options = render_options(args)  # refused before the brief is read
    out = _out_dir(args.out)
    _check_model(options)
    board = _storyboard(args)
    out.mkdir(parents=True, exist_ok=True)
    board.save(out / "shots.json")
    return _render(args, options, board, out)


def cmd_render(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from briefreel.storyboard.errors import InvalidShots
    from briefreel.storyboard.schema import Storyboard

    options = render_options(args)
    out = _out_dir(args.out)
    _check_model(options)
    _input_file(args.shots)
    try:
        board = Storyboard.load(args.shots)
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.shots}") from None
    except (ValidationError, ValueError) as exc:
        raise InvalidShots(f"{args.shots} is not a valid shots.json: {_first_error(exc)}") from None
    out.mkdir(parents=True, exist_ok=True)
    if Path(args.shots).resolve() != (out / "shots.json").resolve():
        board.save(out / "shots.json")
    return _render(args, options, board, out)


def cmd_variants(args: argparse.Namespace) -> int:
    from briefreel.variants import run_command

    options = render_options(args)
    out = _out_dir(args.out)
    _check_model(options)
    shots = _input_file(args.shots)
    return run_command(args, options, shots, out, audio=_audio_options(args), status=STATUS)


def cmd_enhance(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from briefreel.storyboard.errors import InvalidShots
    from briefreel.storyboard.prompt_enhance import enhance_board
    from briefreel.storyboard.schema import Storyboard

    path = _input_file(args.shots)
    try:
        board = Storyboard.load(path)
    except (ValidationError, ValueError) as exc:
        raise InvalidShots(f"{args.shots} is not a valid shots.json: {_first_error(exc)}") from None
    board, report = enhance_board(board, mode=args.mode, model=args.model)
    for shot_id, what in report.items():
        if what["mode"] != args.mode:
            why = what.get("why") or "; ".join(what.get("problems", []))[:200]
            print(f"briefreel: {shot_id}: {what['mode']} ({why})", file=sys.stderr)
    if args.output and args.output != "-":
        board.save(args.output)
    else:
        sys.stdout.write(board.to_json() + "\n")
    return 0


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
            kwargs["metavar"] = spec.metavar or (spec.name.upper() if spec.name != "model" else "PATH_OR_HUB_ID")
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
    p.add_argument("--cache-dir", metavar="DIR",
                   help="shot cache (default: $BRIEFREEL_CACHE_DIR, else ~/.cache/briefreel/clips)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    _add_audio(p)


def _add_audio(p: argparse.ArgumentParser) -> None:
    """Sound under the animatic (render.audio): files on this machine, so CLI-only (not job options)."""
    g = p.add_argument_group("sound (an AAC track under the animatic; a scratch VO from the shots' VO lines by "
                             "espeak-ng when no --vo is given)")
    g.add_argument("--music", metavar="FILE", help="music bed, looped to the film's length, ducked under speech")
    g.add_argument("--vo", metavar="[SHOT=]FILE", action="append",
                   help="voice-over: FILE for the whole film (from 0), SHOT=FILE from that shot's first frame; "
                        "repeatable")
    g.add_argument("--no-audio", dest="audio", action="store_false", default=True,
                   help="a silent animatic (default: sound whenever there is music, a VO file or a VO line)")


def _audio_options(args: argparse.Namespace):
    from briefreel.render.audio import AudioOptions
    from briefreel.render.errors import RenderError

    if not getattr(args, "audio", True):
        return AudioOptions(enabled=False)
    try:
        return AudioOptions.from_args(music=getattr(args, "music", None), vo=getattr(args, "vo", None))
    except RenderError as exc:  # a missing file: refused before any shot renders
        raise UsageError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefreel",
        description="Turn a (password-protected) PDF brief into a shot list, a storyboard and an animatic.",
        epilog="exit codes:\n" + "\n".join(f"  {code:>3}  {what}" for code, what in EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"briefreel {_version()}")
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

    p = sub.add_parser("enhance", help="rewrite a shots.json's prompts by Wan's prompt guidance (rules offline, or "
                                       "an LLM, checked, falling back to the rules); hand-written prompts are kept")
    p.add_argument("shots", metavar="SHOTS.json")
    p.add_argument("-o", "--output", metavar="FILE", help="write shots.json to FILE instead of stdout")
    p.add_argument("--mode", choices=["rules", "llm"], default="rules", help="enhancer (default: rules)")
    p.add_argument("--model", metavar="PROVIDER:NAME", help="chat model for --mode llm (default: $BRIEFREEL_LLM)")
    p.set_defaults(func=cmd_enhance)

    p = sub.add_parser("variants", help="render every variant of a shots.json with {{placeholders}} (an A/B "
                                        "matrix), side by side in variants.html")
    p.add_argument("shots", metavar="SHOTS.json")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=V1,V2",
                   help="values of {{NAME}} (repeatable; the matrix is every combination); a brief's "
                        "Variants/版本 section (the board's source.variants) adds to them")
    _add_render(p)
    p.set_defaults(func=cmd_variants)

    # Commands that live beside their feature; their modules import nothing heavy until the command runs.
    from briefreel.service.cli import register_cli as register_service
    from briefreel.render.wan_tiny import register_cli as register_tiny_wan
    from briefreel.render.keyframes import register_cli as register_keyframes

    register_tiny_wan(sub)
    register_keyframes(sub)
    register_service(sub)
    for p in sub.choices.values():  # --pass is not --password-file: no abbreviations anywhere
        p.allow_abbrev = False
    return parser


def main(argv: list[str] | None = None) -> int:
    global STATUS
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    options = argv[:argv.index("--")] if "--" in argv else argv
    if any(a == "--password" or a.startswith("--password=") for a in options):
        # Never a way in: refused before parsing, saying why and what to do instead (the value is never shown).
        parser.exit(2, f"briefreel: error: {BARE_PASSWORD}\n")
    args = parser.parse_args(argv)
    STATUS = Status(enabled=not getattr(args, "quiet", False))
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        return 0
    except (Exception, KeyboardInterrupt) as exc:  # one line, a documented exit code
        exc = _wan_missing(exc, args)
        if os.environ.get("BRIEFREEL_DEBUG") and not isinstance(exc, (BriefreelError, KeyboardInterrupt)):
            raise
        if STATUS.open:
            STATUS.end()  # the message starts on a line of its own, not after a progress line
        elif isinstance(exc, KeyboardInterrupt) and sys.stderr.isatty():
            sys.stderr.write("\n")  # after the ^C the terminal echoed
        print(f"briefreel: {_one_line(exc)}", file=sys.stderr)
        return error_payload(exc)["exit_code"]


def _wan_missing(exc: BaseException, args: argparse.Namespace) -> BaseException:
    """A package of the `wan` extra missing, in any command (make-tiny-wan, run, render...): exit 31 with the
    install line, not an internal error."""
    name = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if name and name.split(".")[0] in WAN_PACKAGES:
        from briefreel.render.errors import RendererUnavailable

        return RendererUnavailable(f"{args.command} needs the wan extra ({name.split('.')[0]} is missing): "
                                   f"{WAN_INSTALL}")
    return exc


def _one_line(exc: BaseException) -> str:
    payload = error_payload(exc)
    if payload["code"] == "interrupted":
        return "interrupted"
    if payload["code"] == "internal":  # a local run: the type and first line help (BRIEFREEL_DEBUG=1: traceback)
        return f"internal error: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
    message = payload["message"]
    for field, variable in LIMIT_SETTINGS.items():  # the setting a user can change, not the Python field
        message = message.replace(f"({field})", f"(raise it with {variable})")
    return f"error: {message}"


if __name__ == "__main__":
    sys.exit(main())
