"""Parse one PDF in a child process under resource limits: ``python -m parsers.sandbox``.

Protocol: the parent writes one JSON line ``{"password": ..., "limits": {...}}`` to the child's stdin, then the
PDF's bytes, and closes stdin; the child writes one JSON object to stdout: ``{"brief": {...}}`` or
``{"error": "WrongPassword", "message": "..."}``. The password travels only through that pipe: never argv, never
the environment. The child caps its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) before it imports a
PDF library; the parent adds a wall-clock timeout and kills the child's process group when it runs out.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from briefreel.parsers.errors import ALL_ERRORS, BriefError, DamagedPDF, LimitExceeded
from briefreel.parsers.limits import Limits, human_bytes

ROOT = Path(__file__).resolve().parent.parent
_ERRORS = {cls.__name__: cls for cls in ALL_ERRORS}
_SECRET_ENV = ("BRIEFREEL_PASSWORD",)


# -- child --------------------------------------------------------------------------------------------------------------

def _set_rlimits(limits: Limits) -> None:
    import resource

    mem = int(limits.max_memory_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = max(1, int(limits.max_seconds) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_main() -> int:
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    password = header.get("password")
    if header.get("password_b64") is not None:
        password = base64.b64decode(header["password_b64"])
    limits = Limits.from_dict(header.get("limits"))
    _set_rlimits(limits)
    try:
        data = stdin.read()
        from briefreel.parsers.intake import parse_bytes

        result = {"brief": parse_bytes(data, password, limits).to_dict()}
    except BriefError as exc:
        result = {"error": type(exc).__name__, "message": exc.message}
    except MemoryError:
        result = {"error": "LimitExceeded",
                  "message": f"memory: parsing needs more than {human_bytes(limits.max_memory_bytes)} "
                             "(Limits.max_memory_bytes)"}
    except RecursionError:
        result = {"error": "DamagedPDF", "message": "the file is damaged: its objects nest without end"}
    except Exception as exc:  # noqa: BLE001: anything else a hostile file provokes is a damaged file
        result = {"error": "DamagedPDF", "message": f"the file is damaged or is not a PDF ({type(exc).__name__})"}
    password = None
    out = json.dumps(result, ensure_ascii=False).encode("utf-8")
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


# -- parent -------------------------------------------------------------------------------------------------------------

def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run(data: bytes, password: str | bytes | None, limits: Limits) -> dict:
    """Parse ``data`` in a sandboxed child; returns the Brief as a dict or raises the child's typed error."""
    header: dict = {"limits": limits.to_dict(), "password": None}
    if isinstance(password, (bytes, bytearray)):
        header["password_b64"] = base64.b64encode(bytes(password)).decode("ascii")
    else:
        header["password"] = password
    payload = json.dumps(header).encode("utf-8") + b"\n" + data
    header = None
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefreel.parsers.sandbox"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_child_env(), cwd=str(ROOT), start_new_session=True,
    )
    try:
        out, err, peak = _communicate(proc, payload, limits.max_seconds)
    except subprocess.TimeoutExpired:
        raise LimitExceeded(f"time: parsing took longer than {limits.max_seconds:g} s (Limits.max_seconds)") from None
    finally:
        payload = None
    rc = proc.returncode
    if rc < 0 and not out:
        if rc == -signal.SIGXCPU:
            raise LimitExceeded(f"time: parsing used more than {limits.max_seconds:g} s of CPU (Limits.max_seconds)")
        if rc == -signal.SIGKILL or peak >= 0.5 * limits.max_memory_bytes:
            # An allocation failing inside C++ (qpdf) aborts the process instead of raising MemoryError.
            raise LimitExceeded(f"memory: parsing needs more than {human_bytes(limits.max_memory_bytes)} "
                                "(Limits.max_memory_bytes)")
    try:
        result = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        if rc and rc < 0:
            raise DamagedPDF(f"the file is damaged: the parser crashed on it (signal {-rc})") from None
        last = (err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        if "MemoryError" in last:
            raise LimitExceeded(f"memory: parsing needs more than {human_bytes(limits.max_memory_bytes)} "
                                "(Limits.max_memory_bytes)") from None
        raise RuntimeError(f"the intake sandbox failed (exit {rc}): {_scrub(last, password)}") from None
    if "error" in result:
        raise _ERRORS.get(result["error"], DamagedPDF)(result.get("message") or None)
    return result["brief"]


def _communicate(proc: subprocess.Popen, payload: bytes, timeout: float) -> tuple[bytes, bytes, int]:
    """Like ``Popen.communicate`` but reaps the child with wait4 to learn its peak memory (bytes)."""
    import threading
    import time

    out: list[bytes] = []
    err: list[bytes] = []

    def feed() -> None:
        try:
            proc.stdin.write(payload)
        except (BrokenPipeError, OSError):
            pass  # the child gave up early (a limit); its answer says why
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    threads = [threading.Thread(target=feed, daemon=True),
               threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),
               threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            _kill(proc)
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join()
    return b"".join(out), b"".join(err), int(usage.ru_maxrss) * 1024


def _scrub(text: str, password) -> str:
    if isinstance(password, str) and password and password in text:
        text = text.replace(password, "***")
    return text


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    try:
        os.waitpid(proc.pid, 0)
    except ChildProcessError:
        pass
    proc.returncode = -signal.SIGKILL


if __name__ == "__main__":
    sys.exit(child_main())
