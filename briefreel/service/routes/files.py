"""A job's files: list, download, and download links that work without the API key and expire.

    GET /v1/jobs/{id}/files              GET /v1/jobs/{id}/files/{name}
    GET /v1/jobs/{id}/links/{name}       GET /v1/files/{token}   (what such a link points at; no key)

Names are plain paths inside the job's folder (``..``, absolute paths and ``.part`` files are refused). Local
storage is served from disk; S3 answers with a presigned redirect; other storage is streamed.
"""

from __future__ import annotations

import mimetypes
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from briefreel.service.deps import ServiceState, get_service, require_key
from briefreel.service.errors import ApiError
from briefreel.service.storage import BadKey, check_token, safe_name, sign_token
from briefreel.service.views import iso

router = APIRouter(tags=["files"])
MAX_LINK_TTL = 7 * 24 * 3600


@router.get("/v1/jobs/{job_id}/files")
def list_files(job_id: str, request: Request, kid: str = Depends(require_key),
               service: ServiceState = Depends(get_service)):
    service.own_job(kid, job_id)
    storage = service.ctx.storage
    return {"files": [{"name": n, "size": storage.size(f"jobs/{job_id}/{n}"),
                       "url": str(request.url_for("get_file", job_id=job_id, name=n))}
                      for n in storage.list(f"jobs/{job_id}")]}


@router.get("/v1/jobs/{job_id}/files/{name:path}", name="get_file")
def get_file(job_id: str, name: str, kid: str = Depends(require_key), service: ServiceState = Depends(get_service)):
    service.own_job(kid, job_id)
    return serve_file(service, job_id, checked_name(service, job_id, name))


@router.get("/v1/jobs/{job_id}/links/{name:path}")
def get_link(job_id: str, name: str, request: Request, expires_in: int | None = None,
             kid: str = Depends(require_key), service: ServiceState = Depends(get_service)):
    service.own_job(kid, job_id)
    name = checked_name(service, job_id, name)
    ttl = max(1, min(expires_in or service.settings.link_ttl, MAX_LINK_TTL))
    url = service.ctx.storage.sign(f"jobs/{job_id}/{name}", ttl)
    expires_at = int(time.time()) + ttl
    if url is None:
        token = sign_token(service.secret, job_id, name, expires_at)
        url = str(request.url_for("get_signed_file", token=token))
    return {"name": name, "url": url, "expires_at": iso(expires_at), "expires_in": ttl}


@router.get("/v1/files/{token}", name="get_signed_file")
def get_signed_file(token: str, service: ServiceState = Depends(get_service)):
    found = check_token(service.secret, token)
    if found is None:
        raise ApiError(403, "link_expired", "this download link is invalid or has expired; ask for a new one")
    job_id, name = found
    return serve_file(service, job_id, checked_name(service, job_id, name))


def checked_name(service: ServiceState, job_id: str, name: str) -> str:
    try:
        name = safe_name(name)
    except BadKey:
        raise ApiError(400, "bad_file_name", "file names are plain paths inside the job's folder") from None
    if not service.ctx.storage.exists(f"jobs/{job_id}/{name}") or name.endswith(".part"):
        raise ApiError(404, "file_not_found", f"job {job_id} has no file {name!r} (yet)")
    return name


def serve_file(service: ServiceState, job_id: str, name: str):
    storage = service.ctx.storage
    key = f"jobs/{job_id}/{name}"
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    basename = name.rsplit("/", 1)[-1]
    local = storage.local_path(key)
    if local is not None:
        return FileResponse(local, media_type=media, filename=basename)
    url = storage.sign(key, 300)
    if url:
        return RedirectResponse(url, status_code=307)

    def chunks():
        with storage.open(key) as f:
            while chunk := f.read(1 << 20):
                yield chunk

    return StreamingResponse(chunks(), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{basename}"'})
