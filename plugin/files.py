"""Fetch the file Dify hands a tool, at once and with sensible timeouts.

Dify passes a file parameter as a signed URL (``FILES_URL``/``INTERNAL_FILES_URL`` + a signature valid for
``FILES_ACCESS_TIMEOUT``, 300 s by default). The SDK's ``File.blob`` downloads it with a 5 s timeout, too short for
a large brief on a busy server; this module streams it with separate connect/read timeouts, an overall deadline, a
size cap and one retry on connection errors, and turns every failure into a :class:`ToolUserError`.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx

from briefreel.plugin.errors import ToolUserError

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0  # between two chunks
DEADLINE_S = 180.0  # the whole download; the signed URL expires after ~300 s anyway
MAX_BRIEF_BYTES = 200 * 1024 * 1024


def as_file(value):
    """The single file in a tool parameter (a ``File``, or a one-item list of them), or a clear error."""
    if value is None or value == "":
        raise ToolUserError("no_file")
    if isinstance(value, list):
        if len(value) != 1:
            raise ToolUserError("not_a_file", f"Give one PDF, not {len(value)} files.")
        value = value[0]
    if not hasattr(value, "url"):
        raise ToolUserError("not_a_file")
    return value


def file_name(file, default: str = "brief.pdf") -> str:
    name = (getattr(file, "filename", None) or "").strip()
    return name or default


def read_file(file, *, max_bytes: int = MAX_BRIEF_BYTES, deadline_s: float = DEADLINE_S) -> bytes:
    """The bytes of a Dify ``File``: its preloaded blob if any, else a download of ``file.url``."""
    preloaded = getattr(file, "_blob", None)
    if preloaded:
        if len(preloaded) > max_bytes:
            raise _too_big(len(preloaded), max_bytes)
        return bytes(preloaded)
    return download(str(file.url), max_bytes=max_bytes, deadline_s=deadline_s)


def download(url: str, *, max_bytes: int = MAX_BRIEF_BYTES, deadline_s: float = DEADLINE_S) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ToolUserError("relative_url")
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=30.0, pool=CONNECT_TIMEOUT_S)
    start = time.monotonic()
    for attempt in (1, 2):
        try:
            return _get(url, timeout, start, max_bytes, deadline_s)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
            if attempt == 2 or time.monotonic() - start > deadline_s / 2:
                raise ToolUserError(
                    "download_failed",
                    f"Could not reach Dify's file server at {parts.scheme}://{parts.netloc} to fetch the brief "
                    f"({type(exc).__name__}). The plugin daemon must be able to reach FILES_URL/INTERNAL_FILES_URL.",
                ) from None
            time.sleep(1.0)
        except httpx.TimeoutException:
            raise ToolUserError(
                "download_failed", "Downloading the brief from Dify timed out. Run the workflow again."
            ) from None
    raise AssertionError("unreachable")


def _get(url: str, timeout: httpx.Timeout, start: float, max_bytes: int, deadline_s: float) -> bytes:
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        with client.stream("GET", url) as response:
            if response.status_code in (401, 403):
                raise ToolUserError("link_expired")
            if response.status_code == 404:
                raise ToolUserError("download_failed", "Dify's file server no longer has the brief (HTTP 404).")
            if response.status_code >= 400:
                raise ToolUserError(
                    "download_failed", f"Dify's file server answered HTTP {response.status_code} for the brief."
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(int(declared), max_bytes)
            chunks, size = [], 0
            for chunk in response.iter_bytes(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_big(size, max_bytes)
                if time.monotonic() - start > deadline_s:
                    raise ToolUserError(
                        "download_failed", f"Downloading the brief took over {deadline_s:.0f} s; giving up."
                    )
                chunks.append(chunk)
            return b"".join(chunks)


def _too_big(size: int, limit: int) -> ToolUserError:
    return ToolUserError(
        "over_limit", f"The brief is {size / 1e6:.1f} MB; the plugin accepts PDFs up to {limit / 1e6:.0f} MB."
    )
