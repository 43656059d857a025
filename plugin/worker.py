"""The plugin's heavy work, in a child process: ``python -m plugin.worker`` reads one JSON job on stdin.

Why a child: the Dify SDK runs tools in gevent greenlets beside its heartbeat; CPU-bound decryption, planning and
video encoding in the same process would starve it (the daemon kills a plugin after 120 s without one). The child
is plain Python (no gevent), can be stopped at the time budget, and takes its memory with it when it exits.

The password arrives on stdin, never in argv or the environment. stdout carries one JSON event per line:

    {"event": "progress", "stage": "render", "shot": "S03", "state": "done", "done": 3, "total": 8}
    {"event": "result", ...}                       # last line on success
    {"event": "error", "code": "wrong_password", "message": "...", "exit_code": 11}

Jobs:
    {"op": "storyboard", "pdf": PATH, "password": STR|null, "planner": "rules"|"none", "shots_out": PATH,
     "return_brief": BOOL}
        parse the brief; with "rules" plan it and write shots.json; the brief's dict comes back with "none" or
        "return_brief" (the LLM planner, in the parent, improves the rules draft)
    {"op": "render", "shots": PATH, "out_dir": DIR, "renderer": "panel"|"wan", "options": {}}
        render_board() into out_dir, with per-shot progress
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

_OUT = None  # the real stdout; library prints go to stderr


def emit(event: str, **data) -> None:
    _OUT.write(json.dumps({"event": event, **data}, ensure_ascii=False) + "\n")
    _OUT.flush()


def storyboard_job(job: dict) -> dict:
    from parsers import open_brief

    emit("progress", stage="parse")
    pdf = Path(job["pdf"])
    brief = open_brief(pdf.read_bytes(), password=job.get("password") or None)
    if not brief.filename:
        brief.filename = job.get("filename") or pdf.name
    info = {"pages": brief.page_count, "chars": len(brief.text), "encrypted": bool(brief.encryption)}
    if job.get("planner", "rules") == "none":
        return {"brief_info": info, "brief": brief.to_dict()}
    from storyboard import plan

    emit("progress", stage="plan", **info)
    board = plan(brief, planner="rules")
    board.save(job["shots_out"])
    result = {"brief_info": info, "shots": job["shots_out"]}
    if job.get("return_brief"):  # the LLM planner (in the parent) starts from this rules draft
        result["brief"] = brief.to_dict()
    return result


def render_job(job: dict) -> dict:
    from render.pipeline import render_board
    from storyboard.schema import Storyboard

    board = Storyboard.load(job["shots"])
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(board.shots)
    done = [0]

    def on_shot(shot_id: str, state: str) -> None:
        if state == "done":
            done[0] += 1
        event = {"shot": shot_id} if shot_id else {}
        emit("progress", stage="render", **event, state=state, done=done[0], total=total)

    options = job.get("options") or {}
    name = job.get("renderer", "panel")
    emit("progress", stage="render", done=0, total=total)
    if name == "panel" and _count_progress(on_shot):
        # panel shots render in parallel worker processes; progress comes from the pipeline's shot counter
        report = render_board(board, out_dir, renderer=name, renderer_options=options, use_cache=False,
                              progress=True)
    else:
        report = render_board(board, out_dir, renderer=_watched(name, options, on_shot), renderer_options=options,
                              use_cache=False, progress=False)
    files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    return {
        "files": files,
        "rendered": list(getattr(report, "rendered", []) or []),
        "reused": list(getattr(report, "reused", []) or []),
    }


def _count_progress(on_shot) -> bool:
    """Route the pipeline's progress bar (one update per finished shot) to ``on_shot``; False if it has none."""
    import render.pipeline as pipeline

    if not callable(getattr(pipeline, "_bar", None)):
        return False

    class Counter:
        def __init__(self, total: int, enabled: bool = True, initial: int = 0):
            for _ in range(initial):
                on_shot("", "done")

        def update(self, n: int = 1) -> None:
            for _ in range(n):
                on_shot("", "done")

        def close(self) -> None:
            pass

    pipeline._bar = Counter
    return True


def _watched(name: str, options: dict, on_shot):
    """The renderer ``name`` wrapped to report each shot; the bare name when the pipeline cannot build one."""
    try:
        from render.pipeline import get_renderer
    except ImportError:
        return name
    import inspect

    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(get_renderer).parameters.values())
    inner = get_renderer(name, **options) if takes_kwargs else get_renderer(name, options)
    return _Watched(inner, on_shot)


class _Watched:
    def __init__(self, inner, on_shot):
        self._inner, self._on_shot = inner, on_shot
        self.name, self.version = inner.name, inner.version

    def __getattr__(self, item):
        return getattr(self._inner, item)

    def cache_key(self, shot, board, settings, frames):
        return self._inner.cache_key(shot, board, settings, frames)

    def render_shot(self, shot, board, settings, frames, out_path):
        self._on_shot(shot.id, "rendering")
        clip = self._inner.render_shot(shot, board, settings, frames, out_path)
        self._on_shot(shot.id, "done")
        return clip


JOBS = {"storyboard": storyboard_job, "render": render_job}


def main() -> int:
    global _OUT
    _OUT = sys.stdout
    sys.stdout = sys.stderr  # progress bars and stray prints must not corrupt the event stream
    job = json.loads(sys.stdin.read() or "{}")
    password = job.get("password") or ""
    started = time.monotonic()
    if job.get("op") not in JOBS:
        emit("error", code="usage", message=f"unknown job {job.get('op')!r}", exit_code=2)
        return 2
    try:
        result = JOBS[job["op"]](job)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes one event line
        return _fail(exc, password)
    emit("result", seconds=round(time.monotonic() - started, 3), **result)
    return 0


def _fail(exc: BaseException, password: str) -> int:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    typed = isinstance(code, str) and hasattr(exc, "exit_code")
    if not typed:
        code = "internal"
        first = message.splitlines()[0] if message else ""
        message = f"{type(exc).__name__}: {first}"[:500]
        if os.environ.get("BRIEFREEL_DEBUG"):
            import traceback

            traceback.print_exc(file=sys.stderr)
    if password:
        message = message.replace(password, "***")
    emit("error", code=code, message=message, exit_code=int(getattr(exc, "exit_code", 1) or 1))
    return 1


if __name__ == "__main__":
    sys.exit(main())
