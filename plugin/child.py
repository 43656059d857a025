"""Run a :mod:`plugin.worker` job in a child process and stream its events (:mod:`briefreel.child` does the work).

Under the Dify SDK everything is gevent-patched: ``subprocess``, the runner's reader thread and ``queue`` all yield
to the hub, so the heartbeat keeps beating while the child works. The caller gets each worker event as it comes,
and a ``{"event": "tick"}`` whenever the child has been quiet for ``tick_s`` (so a tool can keep its stream alive).
A child still running at the deadline is killed with its whole process group (:class:`ChildTimeout`); one that
ends without a result comes back as an ``error`` event.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from briefreel.child import ChildError, ChildTimeout, stream
from briefreel.errors import error_payload

__all__ = ["ChildTimeout", "run_job"]


def run_job(job: dict, *, deadline: float, tick_s: float = 10.0) -> Iterator[dict]:
    """Yield the events of ``job`` (see plugin.worker); ``deadline`` is a ``time.monotonic()`` instant."""
    password = job.get("password")
    try:
        yield from stream("briefreel.plugin.worker", job, secrets=[password], tick_s=tick_s,
                          timeout=deadline - time.monotonic())
    except ChildTimeout:
        raise
    except ChildError as exc:
        yield {"event": "error", **error_payload(exc, [password])}
