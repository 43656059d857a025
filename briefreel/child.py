"""Run ``python -m <module>`` as a child process and read its events: the one runner of the intake sandbox
(``parsers/sandbox.py``) and the Dify plugin's worker (``plugin/worker.py``).

Parent side::

    for event in stream("briefreel.plugin.worker", job, secrets=[password], timeout=60, tick_s=10):
        ...                                   # progress events, then one "result" or "error" event
    final = run("briefreel.parsers.sandbox", request, payload=pdf_bytes, secrets=[password],
                timeout=180, memory_bytes=3 << 30, cpu_seconds=181)

Child side (the module's ``__main__``)::

    sys.exit(serve(handler))                  # handler(request, payload) -> dict; emit("progress", ...) meanwhile

Protocol. stdin: one JSON line ``{"request": ..., "secrets": [...], "limits": {...}}``, then ``payload`` bytes; the
password travels there only, never in argv or the environment (the child's environment has no
``BRIEFREEL_PASSWORD``). stdout: one JSON object per line, ``{"event": "progress", ...}`` any number of times, then
``{"event": "result", ...}`` or ``{"event": "error", "code", "message", "exit_code", "status"}`` built by
:func:`briefreel.errors.error_payload` and scrubbed of the secrets. Anything else the child prints, from Python or C,
goes to stderr.

Parent death. The child dies with the parent, even when the parent is killed with SIGKILL: a watchdog thread
waits on a pidfd of the parent and then kills the child's process group (itself and every grandchild). A child
that does not lead its group also asks the kernel for SIGKILL on its parent's death (``PR_SET_PDEATHSIG``) when the
main thread spawned it. :func:`die_with_parent` is public: the render pool's workers use it too.

Limits. ``memory_bytes`` (RLIMIT_AS) and ``cpu_seconds`` (RLIMIT_CPU) are set by the child before the handler runs;
``timeout`` is a wall-clock deadline after which the child's whole process group is killed. When the child ends
without a final event the runner raises a :class:`ChildError`: :class:`ChildTimeout` (deadline),
:class:`ChildCPULimit`, :class:`ChildOutOfMemory` (MemoryError, or killed near its memory limit),
:class:`ChildKilled` (a signal) or the base class (an exit without a result). Whatever ends the run, the process
group is killed before the runner returns, so no grandchild outlives it.

This module is a leaf: it imports only :mod:`briefreel.errors`, so every layer may use it.
"""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from briefreel.errors import BriefreelError, error_payload, scrub

ROOT = Path(__file__).resolve().parent.parent  # holds briefreel/ (and, in a checkout, parsers/ plugin/ ...)
SECRET_ENV = ("BRIEFREEL_PASSWORD",)
FINAL = ("result", "error")
_TICK = object()  # _next()'s answer when the child has been quiet for tick_s
EXIT_OUT_OF_MEMORY = 99  # what serve() exits with on MemoryError: writing an event could fail again
GRACE_S = 2.0  # after the final event, how long the child may take to exit before its group is killed


class ChildError(BriefreelError):
    """The child ended without a result or error event."""

    code = "internal"
    default_message = "the child process ended without a result"

    def __init__(self, message: str | None = None, *, returncode: int | None = None, detail: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.detail = detail  # the last line of its stderr, scrubbed

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None


class ChildTimeout(ChildError):
    code = "over_limit"
    exit_code = 14
    status = 422
    default_message = "the child process outlived its deadline and was stopped"


class ChildCPULimit(ChildTimeout):
    default_message = "the child process used up its CPU time"


class ChildOutOfMemory(ChildError):
    code = "over_limit"
    exit_code = 14
    status = 422
    default_message = "the child process ran out of memory"


class ChildKilled(ChildError):
    default_message = "the child process was killed by a signal"


# -- parent ------------------------------------------------------------------------------------------------------------

def run(module: str, request: dict, *, on_event: Callable[[dict], None] | None = None, **options) -> dict:
    """Run to the end and return the final event (``result`` or ``error``); other events go to ``on_event``.
    ``options`` are :func:`stream`'s."""
    for event in stream(module, request, **options):
        if event.get("event") in FINAL:
            return event
        if on_event:
            on_event(event)
    raise ChildError()  # stream() ends with a final event or raises; never reached


def stream(module: str, request: dict, *, payload: bytes = b"", secrets: Iterable[str | None] = (),
           timeout: float | None = None, memory_bytes: int | None = None, cpu_seconds: float | None = None,
           tick_s: float | None = None) -> Iterator[dict]:
    """Yield the child's events as they come, and ``{"event": "tick"}`` whenever it has been quiet for ``tick_s``.
    The last event is the final one; a child that ends without one raises a :class:`ChildError`."""
    secrets = [s for s in secrets if isinstance(s, str) and s]
    limits = {"memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds}
    # The child dies with this process (see die_with_parent); PR_SET_PDEATHSIG follows the spawning *thread*, so it
    # is asked for only when the main thread spawns (its end is the process's end).
    parent = {"pid": os.getpid(), "pdeathsig": threading.current_thread() is threading.main_thread()}
    data = json.dumps({"request": request, "secrets": secrets, "limits": limits, "parent": parent}).encode() \
        + b"\n" + payload
    deadline = None if timeout is None else time.monotonic() + timeout
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, env=_env(secrets), cwd=str(ROOT), start_new_session=True)
        lines, reader = _pump(proc, data)
        data = None
        final = False
        try:
            while not final:
                raw = _next(lines, deadline, tick_s)
                if raw is _TICK:
                    yield {"event": "tick"}
                    continue
                if raw is None:  # stdout closed without a final event: the child is gone
                    if not _wait_exit(proc, deadline):
                        raise ChildTimeout()
                    _kill_group(proc)
                    peak = _reap(proc)
                    raise _ended(module, proc.returncode, peak, _last_line(stderr, secrets), memory_bytes)
                event = _parse(raw)
                if event is None:
                    continue
                if event.get("event") == "error":
                    event["message"] = scrub(str(event.get("message", "")), secrets)
                final = event.get("event") in FINAL
                yield event
        finally:
            _stop(proc, GRACE_S if final else 0.0)
            reader.join(timeout=1.0)
            if not reader.is_alive():  # else a process outside the group holds the pipe: leave it to the GC
                proc.stdout.close()


def _next(lines: queue.Queue, deadline: float | None, tick_s: float | None):
    """The next stdout line (None at its end), a tick, or ChildTimeout at the deadline."""
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise ChildTimeout()
        waits = [w for w in (tick_s, left) if w is not None]
        try:
            return lines.get(timeout=min(waits) if waits else None)
        except queue.Empty:
            if tick_s is not None and (left is None or left > tick_s):
                return _TICK


def _parse(raw: bytes) -> dict | None:
    try:
        event = json.loads(raw)
    except ValueError:
        return None  # not an event line
    return event if isinstance(event, dict) and "event" in event else None


def _env(secrets: list[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV and v not in secrets}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    return env


def _pump(proc: subprocess.Popen, data: bytes) -> tuple[queue.Queue, threading.Thread]:
    """Feed stdin and read stdout lines into a queue, each in a thread (greenlets under gevent)."""
    lines: queue.Queue = queue.Queue()

    def feed() -> None:
        try:
            proc.stdin.write(data)
        except OSError:
            pass  # the child stopped reading (a limit); how it ended says why
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def read() -> None:
        try:
            for raw in proc.stdout:
                lines.put(raw)
        except (OSError, ValueError):
            pass
        finally:
            lines.put(None)

    threading.Thread(target=feed, daemon=True).start()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _exited(proc: subprocess.Popen) -> bool:
    """Has the child exited? Without reaping it, so its process group id stays ours to kill."""
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # already reaped (gevent's child watcher does that): Popen has the status
        return proc.poll() is not None


def _wait_exit(proc: subprocess.Popen, end: float | None) -> bool:
    """Wait until the child exits (True) or the monotonic instant ``end`` passes (False)."""
    delay = 0.002
    while not _exited(proc):
        if end is not None and time.monotonic() >= end:
            return False
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    return True


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.returncode is None:  # still unreaped: the group id cannot have been reused
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _reap(proc: subprocess.Popen) -> int:
    """Wait for the child and return its peak memory in bytes (0 when unknown)."""
    if proc.returncode is not None:
        return 0
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:
        proc.wait()
        return 0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return int(usage.ru_maxrss) * 1024


def _stop(proc: subprocess.Popen, grace: float) -> None:
    """Let the child exit within ``grace`` seconds, then kill its process group and reap it."""
    _wait_exit(proc, time.monotonic() + grace)
    _kill_group(proc)
    _reap(proc)


def _last_line(stderr, secrets: list[str]) -> str:
    stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4096))
    lines = stderr.read().decode("utf-8", "replace").strip().splitlines()
    return scrub(lines[-1].strip(), secrets)[:300] if lines else ""


def _ended(module: str, rc: int, peak: int, detail: str, memory_bytes: int | None) -> ChildError:
    """The typed error for a child that ended without a final event."""
    what = f"python -m {module}"
    kw = {"returncode": rc, "detail": detail}
    if rc == -signal.SIGXCPU:
        return ChildCPULimit(f"{what} used up its CPU time", **kw)
    near_limit = bool(memory_bytes) and rc < 0 and (rc == -signal.SIGKILL or peak >= memory_bytes // 2)
    if rc == EXIT_OUT_OF_MEMORY or "MemoryError" in detail or near_limit:
        # an allocation failing in C++ (qpdf) aborts the process instead of raising MemoryError
        return ChildOutOfMemory(f"{what} ran out of memory", **kw)
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = str(-rc)
        return ChildKilled(f"{what} was killed by signal {name}", **kw)
    return ChildError(f"{what} ended without a result (exit status {rc})" + (f": {detail}" if detail else ""), **kw)


# -- child -------------------------------------------------------------------------------------------------------------

_events = None
_lock = threading.Lock()


def emit(event: str, **data) -> None:
    """Write one event line to the parent (from the child, inside :func:`serve`)."""
    line = json.dumps({"event": event, **data}, ensure_ascii=False).encode("utf-8") + b"\n"
    with _lock:
        _events.write(line)
        _events.flush()


def serve(handler: Callable[[dict, bytes], dict]) -> int:
    """The child's main: read the request, apply the limits, run ``handler(request, payload)`` and emit its
    result, or the error it raised (scrubbed). Returns the exit status."""
    global _events
    _events = os.fdopen(os.dup(1), "wb")  # the event stream; fd 1 becomes stderr, so stray C output cannot break it
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    envelope = json.loads(stdin.readline() or b"{}")
    secrets = envelope.get("secrets") or []
    parent = envelope.get("parent") or {}
    if parent.get("pid"):  # leading a group (as stream() starts it): the watchdog kills the grandchildren too, which
        leader = os.getpgrp() == os.getpid()  # the kernel's parent-death SIGKILL would leave behind
        die_with_parent(int(parent["pid"]), group=leader, pdeathsig=bool(parent.get("pdeathsig")) and not leader)
    try:
        _set_limits(envelope.get("limits") or {})
        result = handler(envelope.get("request") or {}, stdin.read())
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes one error event
        if not isinstance(exc, BriefreelError) and os.environ.get("BRIEFREEL_DEBUG"):
            import traceback

            traceback.print_exc(file=sys.stderr)
        emit("error", **error_payload(exc, secrets))
        return 1
    emit("result", **(result or {}))
    return 0


def die_with_parent(parent_pid: int, *, group: bool = False, pdeathsig: bool = False) -> None:
    """End this process as soon as process ``parent_pid`` is gone, even by SIGKILL: a watchdog thread waits on a
    pidfd of the parent and then kills this process's children and this process (its whole process group when
    ``group`` and it leads one). ``pdeathsig`` also asks the kernel for SIGKILL when the *real* parent (``getppid``)
    dies (``PR_SET_PDEATHSIG``, Linux; the kernel follows the thread that spawned this process, so ask for it only
    when that thread lives as long as its process). A parent already gone ends this process at once."""
    ppid = os.getppid()
    if pdeathsig:
        _pdeathsig()
    try:
        pidfd = os.pidfd_open(parent_pid)
    except ProcessLookupError:
        _die(group)
        return
    except (AttributeError, OSError):  # no pidfd (not Linux >= 5.3): poll instead
        pidfd = None
    if pdeathsig and os.getppid() != ppid:
        _die(group)  # the real parent died before PR_SET_PDEATHSIG took effect

    def watch() -> None:
        import select

        if pidfd is not None:
            select.select([pidfd], [], [])
        else:
            while True:
                try:
                    os.kill(parent_pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(0.5)
        _die(group)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _pdeathsig() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # not Linux: the watchdog thread alone
        pass


def _die(group: bool) -> None:
    """SIGKILL this process's children (its group, when it leads one), then itself."""
    if group and os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    for pid in _children():
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    os.kill(os.getpid(), signal.SIGKILL)


def _children() -> list[int]:
    pids = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return pids


def current_umask() -> int:
    """This process's umask, read without changing it (``os.umask`` would change it for a moment, in every
    thread)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: the racy way
    os.umask(mask)
    return mask


def _set_limits(limits: dict) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file of a process that holds a password
    if limits.get("memory_bytes"):
        mem = int(limits["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    if limits.get("cpu_seconds"):
        cpu = max(1, math.ceil(limits["cpu_seconds"]))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
