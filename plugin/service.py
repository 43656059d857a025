"""A small client for the briefreel render service (briefreel/service), as the plugin uses it.

    svc = RenderService.from_parameters(tool_parameters)  # the tool's render_service_url, render_service_api_key
    options = render_options(tool_parameters)             # the job contract's RenderOptions, checked here first
    job = svc.submit(shots=b"...", options=options)  or  svc.submit(brief=pdf_bytes, password=..., filename=...)
    job = svc.job(job["id"]); data = svc.file(job["id"], "animatic.mp4")

The URL and key are parameters of each render tool (``form: form``; the key a ``secret-input``, which Dify stores
encrypted and masks), not provider credentials: Dify makes a provider that declares any credential unusable, all of
its tools included, until someone saves them.

Every failure is a :class:`ToolUserError` with a clear line (the service's own ``error.message`` when it sent
one); the API key and the PDF password never appear in one.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

import httpx

from briefreel.errors import InvalidOptions
from briefreel.job import RenderOptions, option_specs
from briefreel.plugin.errors import ToolUserError, user_message

# Where the render service is: a setting of Render animatic and Animatic status (tool parameters, not credentials).
SERVICE_PARAMETERS = ("render_service_url", "render_service_api_key")
# Render animatic's parameters that are not render options; every other one is a RenderOptions field.
TOOL_PARAMETERS = ("shots", "brief", "password", "wait_s", "max_file_mb", *SERVICE_PARAMETERS)
DEFAULT_RENDERER = "wan"  # the tool exists to reach the GPUs; Brief to storyboard draws panels itself

TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=120.0, pool=10.0)
FINAL = ("done", "failed", "cancelled")
POLL_S = 3.0  # how often a waiting tool asks the service for its job


def job_progress(job: dict) -> dict:
    """A service job's progress as a tool's log shows it: status, shots done of total, and the shot rendering now
    with its denoising step (Wan: the service records ``step``/``steps`` per shot), so a long Wan shot visibly moves;
    ``fraction`` counts a rendering shot's steps too."""
    progress = job.get("progress") or {}
    shots = progress.get("shots") or []
    total = progress.get("shots_total", len(shots))
    done = progress.get("shots_done", 0)
    data = {"job_id": job.get("id"), "status": job.get("status"), "shots_done": done, "shots_total": total}
    partial = 0.0
    for shot in shots:
        if shot.get("state") == "rendering" and shot.get("steps"):
            partial += min(1.0, shot.get("step", 0) / shot["steps"])
            data.update(shot=shot.get("id"), step=shot.get("step", 0), steps=shot["steps"])
    data["fraction"] = round(min(1.0, (done + partial) / total), 3) if total else 0.0
    return data


def poll(svc: "RenderService", job: dict, deadline: float, every: float = POLL_S):
    """Yield ``job`` as the service reports it, every ``every`` seconds, until it is final or ``deadline``
    (``time.monotonic()``) passes. A service that stops answering raises :class:`ToolUserError`."""
    while job.get("status") not in FINAL and time.monotonic() < deadline:
        time.sleep(min(every, max(0.1, deadline - time.monotonic())))
        job = svc.job(job["id"])
        yield job


def render_options(parameters: dict) -> RenderOptions:
    """The tool's parameters as the job contract's options, checked before anything is sent (the service checks
    them again). A wan-only setting with the Panels renderer is refused, as the service and the CLI refuse it."""
    values = {spec.name: parameters.get(spec.name) for spec in option_specs()}
    values["renderer"] = values["renderer"] or DEFAULT_RENDERER
    try:
        return RenderOptions.build(values)
    except InvalidOptions as exc:
        raise ToolUserError(exc.code, f"Check the render settings: {exc.message}.") from None


def form_fields(options: RenderOptions) -> dict[str, str]:
    """The options as the service's multipart form fields (booleans as true/false)."""
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in options.to_dict().items()}


class RenderService:
    def __init__(self, url: str, api_key: str | None = None):
        self.url = url.rstrip("/")
        self.api_key = api_key or None

    @classmethod
    def from_parameters(cls, parameters: dict | None) -> "RenderService":
        """The service a render tool's parameters name (``render_service_url``, ``render_service_api_key``)."""
        parameters = parameters or {}
        url = str(parameters.get("render_service_url") or "").strip()
        if not url:
            raise ToolUserError("service_not_configured")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ToolUserError("service_not_configured",
                                f"The render service URL must start with http:// or https:// (got {url[:80]!r}).")
        return cls(url, str(parameters.get("render_service_api_key") or "").strip() or None)

    # -- calls --------------------------------------------------------------------------------------------------
    def submit(self, *, shots: bytes | None = None, brief: bytes | None = None, password: str | None = None,
               filename: str = "brief.pdf", options: RenderOptions | None = None,
               variants: str | None = None) -> dict:
        data = form_fields(options or RenderOptions(renderer=DEFAULT_RENDERER))
        if variants:  # an A/B matrix: the service answers {"group", "jobs"}
            data["variants"] = variants
        if shots is not None:
            files = {"shots": ("shots.json", shots, "application/json")}
        else:
            files = {"brief": (filename, brief or b"", "application/pdf")}
            if password:
                data["password"] = password
        return self._json("POST", "/v1/jobs", data=data, files=files, secret=password)

    def job(self, job_id: str) -> dict:
        return self._json("GET", f"/v1/jobs/{quote(job_id, safe='')}")

    def file(self, job_id: str, name: str, max_bytes: int) -> bytes:
        """A job's output file; refuses (without reading it all) one larger than ``max_bytes``."""
        path = f"/v1/jobs/{quote(job_id, safe='')}/files/{quote(name)}"
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client:
                with client.stream("GET", self.url + path, headers=self._headers()) as response:
                    if response.status_code >= 400:
                        response.read()
                        self._raise(response)
                    chunks, size = [], 0
                    for chunk in response.iter_bytes(65536):
                        size += len(chunk)
                        if size > max_bytes:
                            raise ToolUserError("file_too_large", f"{name} on the render service is larger than "
                                                f"{max_bytes / 1e6:.0f} MB.")
                        chunks.append(chunk)
                    return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None

    # -- plumbing -----------------------------------------------------------------------------------------------
    def _headers(self, auth: bool = True) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"} if auth and self.api_key else {}

    def _json(self, method: str, path: str, *, auth: bool = True, secret: str | None = None, **kwargs) -> dict:
        try:
            with httpx.Client(timeout=TIMEOUT) as client:
                response = client.request(method, self.url + path, headers=self._headers(auth), **kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            self._raise(response, secret)
        try:
            return response.json()
        except ValueError:
            raise ToolUserError("service_error", f"The render service at {self.url} did not answer with JSON "
                                f"(HTTP {response.status_code}); is the URL right?") from None

    def _raise(self, response: httpx.Response, secret: str | None = None):
        if response.status_code in (401, 403):
            raise ToolUserError("service_auth")
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        code = error.get("code") or "service_error"
        message = error.get("message") or f"HTTP {response.status_code}"
        for hidden in (secret, self.api_key):
            if hidden:
                message = message.replace(hidden, "***")
        if response.status_code == 404 and code in ("not_found", "service_error"):
            message = f"{self.url} has no briefreel render API here (HTTP 404); check the URL."
        raise ToolUserError(code, user_message(code, f"The render service said: {message}"))

    def _unreachable(self, exc: Exception) -> ToolUserError:
        return ToolUserError("service_unreachable",
                             f"Could not reach the render service at {self.url} ({type(exc).__name__}).")
