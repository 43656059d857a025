"""A machine-wide bound on parse children: at most N sandboxed parses run at once, across every process of this
user (the render service, its Celery workers, CLI runs), the rest wait for a slot up to a bounded time.

    with parse_slot(limits):          # waits for a free slot, or raises ParseBusy (code "busy", HTTP 503)
        child.run("briefreel.parsers.sandbox", ...)

Slots are ``flock``-ed files ``parse-slot-<i>.lock`` in the runtime folder: the kernel drops a lock when its holder
exits, even by kill -9, so a crashed parse never keeps a slot. The folder is ``BRIEFREEL_RUNTIME_DIR``, else
``$XDG_RUNTIME_DIR/briefreel``, else ``/tmp/briefreel-<uid>``; it must be a folder of ours that no one else can
write (0700), or slots could be held by another user.

Settings: ``BRIEFREEL_PARSE_SLOTS`` (N; default: what the machine's memory holds of parse children at their
address-space limit, ``max(1, memory * 3/4 // Limits.max_memory_bytes)``, memory being the smaller of RAM and the
cgroup's limit), ``BRIEFREEL_PARSE_WAIT`` (seconds to wait for a slot, default 30; 0 fails at once).
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from briefreel.parsers.errors import ParseBusy
from briefreel.parsers.limits import Limits

DEFAULT_WAIT_S = 30.0


def runtime_dir() -> Path:
    """Our private runtime folder, created 0700; refuses one that another user owns or can write."""
    env = os.environ.get("BRIEFREEL_RUNTIME_DIR")
    if env:
        path = Path(env)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "briefreel"
    else:
        path = Path("/tmp") / f"briefreel-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(f"{path} is not a private folder of this user; set BRIEFREEL_RUNTIME_DIR")
    return path


def machine_memory() -> int:
    """Bytes of memory this process may use: physical RAM, or the cgroup (v2 or v1) limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = Path(f).read_text().strip()
        except OSError:
            continue
        if raw.isdigit() and 0 < int(raw) < total:
            total = int(raw)
    return total


def slot_count(limits: Limits | None = None) -> int:
    raw = os.environ.get("BRIEFREEL_PARSE_SLOTS", "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"BRIEFREEL_PARSE_SLOTS must be a whole number, not {raw!r}") from None
        if n < 1:
            raise ValueError("BRIEFREEL_PARSE_SLOTS must be at least 1")
        return n
    per_child = max(1, int((limits or Limits()).max_memory_bytes))
    return max(1, machine_memory() * 3 // 4 // per_child)


def wait_seconds() -> float:
    raw = os.environ.get("BRIEFREEL_PARSE_WAIT", "").strip()
    if not raw:
        return DEFAULT_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"BRIEFREEL_PARSE_WAIT must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError("BRIEFREEL_PARSE_WAIT must be 0 or more seconds")
    return value


@contextmanager
def parse_slot(limits: Limits | None = None, *, slots: int | None = None, wait_s: float | None = None) -> Iterator[int]:
    """Hold one of the machine's parse slots for the ``with`` block; yields the slot's number."""
    limits = limits or Limits()
    n = slot_count(limits) if slots is None else slots
    wait_s = wait_seconds() if wait_s is None else wait_s
    folder = runtime_dir()
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        fd, index = _try_slots(folder, n)
        if fd is not None:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            raise ParseBusy(f"busy: {n} parse{'s' if n != 1 else ''} already running on this machine "
                            f"(BRIEFREEL_PARSE_SLOTS); waited {wait_s:g} s, try again",
                            retry_after_s=_retry_after(folder, n, limits))
        time.sleep(min(delay, left))
        delay = min(delay * 1.5, 0.25)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {time.time():.3f}\n".encode(), 0)  # who holds it since when (Retry-After)
        yield index
    finally:
        os.close(fd)  # releases the lock


def _try_slots(folder: Path, n: int) -> tuple[int | None, int]:
    for i in range(n):
        fd = os.open(folder / f"parse-slot-{i}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                continue
            raise
        return fd, i
    return None, -1


def _retry_after(folder: Path, n: int, limits: Limits) -> int:
    """Seconds until a slot is sure to be free: the soonest that a holder reaches its time limit (1 s at least)."""
    now = time.time()
    soonest = float(limits.max_seconds)
    for i in range(n):
        try:
            started = float((folder / f"parse-slot-{i}.lock").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        soonest = min(soonest, started + limits.max_seconds - now)
    return max(1, math.ceil(soonest))
