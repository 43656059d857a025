"""A job as the API shows it (``GET /v1/jobs/{id}``): status, options, per-shot progress, error, file links."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import Request

from briefreel.job import shots_finished


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds") if ts else None


def progress_view(shots: list[dict]) -> dict:
    done = shots_finished(s["state"] for s in shots)
    return {"shots_total": len(shots), "shots_done": done, "fraction": round(done / max(1, len(shots)), 3),
            "shots": shots}


def job_view(job: dict, request: Request) -> dict:
    view = {
        "id": job["id"],
        "status": job["status"],
        "title": job["title"],
        "priority": job["priority"],
        "options": job["options"],
        "created_at": iso(job["created"]),
        "started_at": iso(job["started"]),
        "finished_at": iso(job["finished"]),
        "attempts": job["attempts"],
        "cancel_requested": job["cancel_requested"],
        "progress": progress_view(job["progress"]),
        "error": None,
        "files": [],
        "url": str(request.url_for("get_job", job_id=job["id"])),
    }
    if job["status"] in ("failed", "cancelled") and job["error_code"]:
        view["error"] = {"code": job["error_code"], "message": job["error_message"]}
    elif job["error_code"]:  # a transient failure being retried
        view["note"] = job["error_message"]
    if job["status"] == "done":
        view["files"] = [{"name": n, "url": str(request.url_for("get_file", job_id=job["id"], name=n))}
                         for n in job["files"]]
    return view
