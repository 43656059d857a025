"""``GET /health``: no key needed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from briefreel.service.deps import ServiceState, get_service

router = APIRouter(tags=["service"])


@router.get("/health")
def health(request: Request, service: ServiceState = Depends(get_service)):
    mode = "embedded" if service.settings.embedded else "redis"
    return {"status": "ok", "mode": mode, "version": request.app.version}
