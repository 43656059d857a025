"""Parse one PDF in a child process under resource limits: ``python -m briefreel.parsers.sandbox``.

:mod:`briefreel.child` runs it: the request (the password and the limits) goes down the child's stdin, never argv
or the environment, followed by the PDF's bytes; the child caps its address space (``max_memory_bytes``) and CPU
time before it imports a PDF library, and is killed with its process group after ``max_seconds`` of wall clock. At most ``BRIEFREEL_PARSE_SLOTS`` such
children run on the machine at once (``parsers/slots.py``); the rest wait, or fail with ``ParseBusy``.
It answers ``{"event": "result", "brief": {...}}`` or the typed error, which the parent raises again.
"""

from __future__ import annotations

import base64
import sys

from briefreel import child
from briefreel.parsers.errors import ALL_ERRORS, BriefError, DamagedPDF, LimitExceeded
from briefreel.parsers.limits import Limits, human_bytes
from briefreel.parsers.slots import parse_slot

_ERRORS = {cls.code: cls for cls in ALL_ERRORS}


def run(data: bytes, password: str | bytes | None, limits: Limits) -> dict:
    """Parse ``data`` in a sandboxed child; returns the Brief as a dict or raises the child's typed error."""
    request: dict = {"limits": limits.to_dict(), "password": None}
    if isinstance(password, (bytes, bytearray)):
        request["password_b64"] = base64.b64encode(bytes(password)).decode("ascii")
    else:
        request["password"] = password
    try:
        with parse_slot(limits):  # at most BRIEFREEL_PARSE_SLOTS parse children on the machine; ParseBusy else
            final = child.run("briefreel.parsers.sandbox", request, payload=data, secrets=[request["password"]],
                              timeout=limits.max_seconds, memory_bytes=limits.max_memory_bytes,
                              cpu_seconds=int(limits.max_seconds) + 1)
    except child.ChildCPULimit:
        raise LimitExceeded(f"time: parsing used more than {limits.max_seconds:g} s of CPU (Limits.max_seconds)") from None
    except child.ChildTimeout:
        raise LimitExceeded(f"time: parsing took longer than {limits.max_seconds:g} s (Limits.max_seconds)") from None
    except child.ChildOutOfMemory:
        raise LimitExceeded(_memory(limits)) from None
    except child.ChildKilled as exc:
        raise DamagedPDF(f"the file is damaged: the parser crashed on it (signal {exc.signal})") from None
    finally:
        request = None
    if final["event"] == "error":
        raise _ERRORS.get(final.get("code"), DamagedPDF)(final.get("message") or None)
    return final["brief"]


def parse(request: dict, data: bytes) -> dict:
    """The child's handler: every failure a hostile file provokes becomes a typed error."""
    password = request.get("password")
    if request.get("password_b64") is not None:
        password = base64.b64decode(request["password_b64"])
    limits = Limits.from_dict(request.get("limits"))
    try:
        from briefreel.parsers.parse import parse_bytes

        return {"brief": parse_bytes(data, password, limits).to_dict()}
    except (BriefError, MemoryError):
        raise  # MemoryError: the runner reports it as out of memory
    except RecursionError:
        raise DamagedPDF("the file is damaged: its objects nest without end") from None
    except Exception as exc:  # noqa: BLE001: anything else a hostile file provokes is a damaged file
        raise DamagedPDF(f"the file is damaged or is not a PDF ({type(exc).__name__})") from None


def _memory(limits: Limits) -> str:
    return f"memory: parsing needs more than {human_bytes(limits.max_memory_bytes)} (Limits.max_memory_bytes)"


if __name__ == "__main__":
    sys.exit(child.serve(parse))
