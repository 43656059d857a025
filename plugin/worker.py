"""The plugin's heavy work, in a child process: ``python -m plugin.worker`` reads one JSON job on stdin.

Why a child: the Dify SDK runs tools in gevent greenlets beside its heartbeat; CPU-bound decryption, planning and
video encoding in the same process would starve it (the daemon kills a plugin after 120 s without one). The child
is plain Python (no gevent), can be stopped at the time budget, and takes its memory with it when it exits.

:mod:`briefreel.child` runs it (``serve`` here, ``stream`` in plugin/child.py): the job arrives on stdin, password
included, never in argv or the environment; stdout carries one JSON event per line:

    {"event": "progress", "stage": "render", "shot": "S03", "state": "done", "done": 3, "total": 8}
                                                   # state: briefreel.job.shot_state (rendering/done/reused/failed)
    {"event": "result", ...}                       # last line on success
    {"event": "error", "code": "wrong_password", "message": "...", "exit_code": 11}

Jobs:
    {"op": "storyboard", "pdf": PATH, "password": STR|null, "planner": "rules"|"none", "shots_out": PATH,
     "return_brief": BOOL}
        read the brief (briefreel.job.read_brief); with "rules" plan it (briefreel.job.storyboard_brief) and write
        shots.json; the brief's dict comes back with "none" or "return_brief" (the LLM planner, in the parent,
        improves the rules draft)
    {"op": "render", "shots": PATH, "out_dir": DIR, "renderer": "panel"|"wan", "options": {}}
        render_board() into out_dir, with per-shot progress
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from briefreel.child import emit, serve
from briefreel.errors import UsageError


def storyboard_job(job: dict) -> dict:
    """Intake and planning as every surface does them (``briefreel.job``): ``read_brief`` for "none",
    ``storyboard_brief`` with the rules otherwise."""
    from briefreel.job import read_brief, storyboard_brief

    emit("progress", stage="parse")
    pdf = Path(job["pdf"])
    password = job.get("password") or None
    filename = job.get("filename") or pdf.name
    if job.get("planner", "rules") == "none":
        brief = read_brief(pdf.read_bytes(), password, filename=filename)
        return {"brief_info": _brief_info(brief), "brief": brief.to_dict()}
    planned = storyboard_brief(pdf.read_bytes(), password, planner="rules", filename=filename)
    info = _brief_info(planned.brief)
    emit("progress", stage="planned", shots=len(planned.board.shots), **info)
    planned.board.save(job["shots_out"])
    result = {"brief_info": info, "shots": job["shots_out"]}
    if job.get("return_brief"):  # the LLM planner (in the parent) starts from this rules draft
        result["brief"] = planned.brief.to_dict()
    return result


def _brief_info(brief) -> dict:
    return {"pages": brief.page_count, "chars": len(brief.text), "encrypted": bool(brief.encryption)}


def render_job(job: dict) -> dict:
    from briefreel.job import shot_state
    from briefreel.render.pipeline import ShotEvent, render_board
    from briefreel.storyboard.schema import Storyboard

    board = Storyboard.load(job["shots"])
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(board.shots)

    def on_shot(e: ShotEvent) -> None:  # the job contract's per-shot states, as the render service reports them
        emit("progress", stage="render", shot=e.shot_id, state=shot_state(e.status), done=e.done, total=total)

    emit("progress", stage="render", done=0, total=total)
    # panel shots render in parallel worker processes; their progress comes back here through on_shot
    report = render_board(board, out_dir, renderer=job.get("renderer", "panel"),
                          renderer_options=job.get("options") or {}, use_cache=False, progress=False,
                          on_shot=on_shot)
    files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    return {"files": files, "rendered": list(report.rendered), "reused": list(report.reused)}


JOBS = {"storyboard": storyboard_job, "render": render_job}


def run(job: dict, _payload: bytes) -> dict:
    if job.get("op") not in JOBS:
        raise UsageError(f"unknown job {job.get('op')!r}")
    started = time.monotonic()
    result = JOBS[job["op"]](job)
    return {"seconds": round(time.monotonic() - started, 3), **result}


if __name__ == "__main__":
    sys.exit(serve(run))
