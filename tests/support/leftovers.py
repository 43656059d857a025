"""A fixture for tests that kill -9 a briefreel process: afterwards, nothing it started may be left running.

    @pytest.mark.usefixtures("no_leftover_processes")
    def test_kill_9_of_...(...):

The fixture tags the test's environment with a fresh ``BRIEFREEL_TEST_TAG``; every process started during the test
inherits it (servers, Celery workers, render-pool workers, their fork server, ffmpeg). After the test (and the
fixtures set up after this one) those still alive are listed, given a few seconds to go, then killed and reported.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

TAG = "BRIEFREEL_TEST_TAG"
GRACE_S = 10.0


def tagged_processes(tag: str) -> dict[int, str]:
    """Live processes (zombies excluded) other than this one whose environment holds ``TAG=tag``."""
    needle = f"{TAG}={tag}".encode()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if stat[stat.rindex(b")") + 2:].split()[0] != b"Z":
            found[int(entry)] = cmdline[:200]
    return found


@pytest.fixture
def no_leftover_processes(monkeypatch):
    tag = uuid.uuid4().hex
    monkeypatch.setenv(TAG, tag)
    yield tag
    end = time.monotonic() + GRACE_S
    left = tagged_processes(tag)
    while left and time.monotonic() < end:
        time.sleep(0.2)
        left = tagged_processes(tag)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"{len(left)} process(es) left running after the test: {left}"
