"""Follow a render-service job while there is time: progress as log updates, the animatic when it is done.

Shared by the Render animatic and Animatic status tools (each tool module keeps exactly one Tool class, as the SDK's
loader requires, so the shared steps live here as a function of the tool).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Generator
from pathlib import Path

from briefreel.plugin.errors import ToolUserError
from briefreel.plugin.fit import fit_video
from briefreel.plugin.service import FINAL, POLL_S, RenderService, job_progress


def follow(tool, svc: RenderService, job: dict, wait_s: float, max_bytes: int) -> Generator:
    """Yield Dify messages for ``job``: log updates while it runs (up to ``wait_s``), then the outputs."""
    from dify_plugin.entities.tool import ToolInvokeMessage

    status = ToolInvokeMessage.LogMessage.LogStatus
    deadline = time.monotonic() + max(0.0, wait_s)
    log = tool.create_log_message("Render on the service", _progress(job), status=status.START)
    yield log
    notes: list[str] = []
    while job.get("status") not in FINAL and time.monotonic() < deadline:
        time.sleep(min(POLL_S, max(0.1, deadline - time.monotonic())))
        try:
            job = svc.job(job["id"])
        except ToolUserError as exc:  # the service went away mid-render: keep the job id for later
            notes.append(exc.message)
            break
        yield tool.finish_log_message(log, status=status.START, data=_progress(job))
    state = job.get("status", "unknown")
    done = state == "done"
    yield tool.finish_log_message(log, status=status.SUCCESS if state not in ("failed", "cancelled") else status.ERROR,
                                  data=_progress(job))
    if done:
        names = [f.get("name") for f in job.get("files") or []]
        if "animatic.mp4" in names:
            notes += yield from _send_video(tool, svc, job["id"], max_bytes)
        else:
            notes.append("The job finished without an animatic.mp4.")
    error = job.get("error") or {}
    if state in ("failed", "cancelled"):
        code = error.get("code") or state
        message = f"The render job {state}: {error.get('message') or 'no reason given'}."
    else:
        code, message = "", ""
    progress = (job.get("progress") or {}).get("fraction", 0.0)
    if done:
        summary = f"Render job {job['id']} is done." + ("" if not notes else " " + " ".join(notes))
    elif state in ("failed", "cancelled"):
        summary = message
    else:
        summary = (f"Render job {job['id']} is {state} ({progress:.0%} of shots done); "
                   f"ask Animatic status with this job id later." + ("" if not notes else " " + " ".join(notes)))
    for key, value in {"ok": state not in ("failed", "cancelled"), "error_code": code, "error": message,
                       "job_id": job["id"], "status": state, "progress": float(progress), "done": done,
                       "summary": summary}.items():
        yield tool.create_variable_message(key, value)
    yield tool.create_json_message({k: job.get(k) for k in ("id", "status", "title", "progress", "error", "files",
                                                             "created_at", "started_at", "finished_at")})
    yield tool.create_text_message(summary)


def _send_video(tool, svc: RenderService, job_id: str, max_bytes: int) -> Generator:
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="briefreel-") as tmp:
        path = Path(tmp) / "animatic.mp4"
        # Fetch up to 8x the limit: a larger file is re-encoded smaller here rather than refused outright.
        path.write_bytes(svc.file(job_id, "animatic.mp4", max_bytes=8 * max_bytes))
        try:
            path, note = fit_video(path, max_bytes, Path(tmp))
        except ToolUserError as exc:
            return [exc.message]
        if note:
            notes.append(note)
        yield tool.create_blob_message(path.read_bytes(), meta={"mime_type": "video/mp4", "filename": "animatic.mp4"})
    return notes


def _progress(job: dict) -> dict:
    return job_progress(job)  # shots done, and the rendering shot's denoising step (Wan)
