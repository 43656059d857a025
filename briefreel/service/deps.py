"""What every route shares, as FastAPI dependencies: the service's state and the API-key check.

    @router.get("/v1/jobs")
    def list_jobs(key: str = Depends(require_key), service: ServiceState = Depends(get_service)): ...

``require_key`` identifies the caller by key id (401 without a valid ``Authorization: Bearer <key>``) and spends
one request from its bucket (429 when empty); ``require_submit_key`` also spends one job submission. Failed
authentications are counted per client address (``BRIEFREEL_AUTH_FAIL_LIMIT`` a minute): past that, every request
from the address is answered 429 with ``Retry-After`` until its bucket refills, a right key included (so guessing
keys gets nowhere). Behind a reverse proxy, run uvicorn with ``--proxy-headers`` so the address is the client's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from briefreel.service.auth import KeyRing
from briefreel.service.errors import ApiError
from briefreel.service.limits import RateLimiter
from briefreel.service.runner import Context
from briefreel.service.settings import Settings


@dataclass
class ServiceState:
    """One service: its settings, job store and storage (``ctx``), keys, rate limits and link-signing secret;
    ``background`` holds what the lifespan started (embedded workers, the reaper, the data folder's lock)."""

    settings: Settings
    ctx: Context
    keys: KeyRing
    requests_limit: RateLimiter
    submit_limit: RateLimiter
    auth_failures: RateLimiter
    secret: bytes
    background: dict = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ServiceState":
        if not settings.api_keys and not settings.insecure_no_auth:
            raise RuntimeError("no API key: set BRIEFREEL_API_KEY (several keys: comma-separated), "
                               "or BRIEFREEL_INSECURE_NO_AUTH=1 on a trusted network")
        return cls(settings=settings, ctx=Context.from_settings(settings),
                   keys=KeyRing(settings.api_keys, allow_anonymous=settings.insecure_no_auth),
                   requests_limit=RateLimiter(settings.rate_limit), submit_limit=RateLimiter(settings.submit_limit),
                   auth_failures=RateLimiter(settings.auth_fail_limit), secret=settings.signing_secret())

    def authorize(self, authorization: str | None, submit: bool = False, client: str = "?") -> str:
        """The caller's key id; 401 for a missing or wrong key, 429 when a bucket is empty or ``client`` (its
        address) failed to authenticate too often."""
        wait = self.auth_failures.wait(client)
        if wait > 0:
            raise ApiError(429, "rate_limited", "too many failed authentications from this address; retry in "
                           f"{wait:.0f} s", headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        kid = self.keys.identify(authorization)
        if kid is None:
            self.auth_failures.take(client)
            raise ApiError(401, "unauthorized", "missing or invalid API key: send 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": "Bearer"})
        for limiter in (self.requests_limit, self.submit_limit) if submit else (self.requests_limit,):
            wait = limiter.take(kid)
            if wait > 0:
                what = " for job submissions" if limiter is self.submit_limit else ""
                raise ApiError(429, "rate_limited", f"too many requests for this key: at most {limiter.rate} per "
                               f"minute{what}; retry in {wait:.0f} s",
                               headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        return kid

    def own_job(self, kid: str, job_id: str) -> dict:
        """The job, when this key owns it (an anonymous service shows every job); else 404."""
        job = self.ctx.store.get(job_id)
        if job is None or (job["owner"] != kid and kid != "anonymous"):
            raise ApiError(404, "job_not_found", f"no job {job_id!r} for this key")
        return job

    def publish(self, job_id: str, priority: int) -> None:
        """Tell the workers about a queued job: wake the embedded ones, or send a Celery message."""
        if self.settings.embedded:
            workers = self.background.get("workers")
            if workers is not None:
                workers.wake()
            return
        from briefreel.service.celery_app import publish as celery_publish

        celery_publish(self.settings, job_id, priority)


def get_service(request: Request) -> ServiceState:
    return request.app.state.service


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def require_key(request: Request) -> str:
    return get_service(request).authorize(request.headers.get("authorization"), client=client_address(request))


def require_submit_key(request: Request) -> str:
    return get_service(request).authorize(request.headers.get("authorization"), submit=True,
                                          client=client_address(request))

