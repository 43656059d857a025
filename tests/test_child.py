"""briefreel.child, the one child-process runner: real children (tests/support/child_probe.py), no mocks."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from briefreel import child
from briefreel.errors import INTERNAL_MESSAGE

PROBE = "tests.support.child_probe"
SECRET = "pipe-only-Σ-密码"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(pid: int, within: float = 5.0) -> bool:
    end = time.monotonic() + within
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    return not _alive(pid)


def test_events_stream_in_order_then_one_result():
    payload = os.urandom(3 << 20)  # bigger than a pipe buffer: stdin is fed while stdout is read
    events = list(child.stream(PROBE, {"do": "echo", "steps": 3}, payload=payload))
    assert [e["event"] for e in events] == ["progress", "progress", "progress", "result"]
    assert [e["step"] for e in events[:3]] == [1, 2, 3]
    result = events[-1]
    assert result["request"] == {"do": "echo", "steps": 3}
    assert result["bytes"] == len(payload)
    import hashlib

    assert result["sha256"] == hashlib.sha256(payload).hexdigest()


def test_run_returns_the_final_event_and_hands_progress_over():
    seen = []
    final = child.run(PROBE, {"do": "echo", "steps": 2}, on_event=seen.append)
    assert final["event"] == "result" and final["bytes"] == 0
    assert [e["step"] for e in seen] == [1, 2]


def test_quiet_child_gets_ticks():
    events = list(child.stream(PROBE, {"do": "sleep", "seconds": 1.2}, tick_s=0.2, timeout=30))
    assert events[-1] == {"event": "result", "slept": True}
    assert events.count({"event": "tick"}) >= 2


def test_password_travels_on_stdin_only(monkeypatch):
    monkeypatch.setenv("BRIEFREEL_PASSWORD", SECRET)
    monkeypatch.setenv("SOME_COPY_OF_IT", SECRET)
    final = child.run(PROBE, {"do": "self", "password": SECRET}, secrets=[SECRET])
    assert final == {"event": "result", "in_cmdline": False, "in_environ": False, "env_password": False}


def test_typed_error_event_is_scrubbed_of_the_secret():
    final = child.run(PROBE, {"do": "fail", "password": SECRET}, secrets=[SECRET])
    assert final["event"] == "error" and final["code"] == "probe_failed" and final["exit_code"] == 42
    assert SECRET not in final["message"] and "cannot use *** here" == final["message"]


def test_untyped_error_shows_no_text():
    final = child.run(PROBE, {"do": "crash", "password": SECRET}, secrets=[SECRET])
    assert final["event"] == "error" and final["code"] == "internal" and final["exit_code"] == 1
    assert final["message"] == INTERNAL_MESSAGE


def test_exit_without_result_is_a_typed_error_with_scrubbed_detail():
    with pytest.raises(child.ChildError) as exc:
        child.run(PROBE, {"do": "exit", "password": SECRET}, secrets=[SECRET])
    err = exc.value
    assert type(err) is child.ChildError and err.returncode == 3 and err.code == "internal"
    assert "exit status 3" in str(err) and "last words with ***" in str(err)
    assert SECRET not in str(err) and SECRET not in err.detail


def test_deadline_kills_the_whole_process_group():
    events = []
    started = time.monotonic()
    with pytest.raises(child.ChildTimeout) as exc:
        for event in child.stream(PROBE, {"do": "linger"}, timeout=2.0, tick_s=0.5):
            events.append(event)
    assert 1.5 < time.monotonic() - started < 10
    assert exc.value.exit_code == 14 and exc.value.code == "over_limit"
    (started_event,) = [e for e in events if "pid" in e]
    assert _gone(started_event["me"]) and _gone(started_event["pid"])  # the child and its grandchild


def test_no_grandchild_outlives_a_finished_child():
    final = child.run(PROBE, {"do": "orphan"}, timeout=30)
    assert final["event"] == "result"
    assert _gone(final["pid"])


def test_closing_the_stream_early_stops_the_child():
    events = child.stream(PROBE, {"do": "sleep", "seconds": 120}, timeout=60)
    first = next(events)
    assert _alive(first["me"])
    events.close()  # the consumer gave up (a cancelled tool run)
    assert _gone(first["me"])


def test_memory_limit_is_a_typed_error_and_this_process_carries_on():
    with pytest.raises(child.ChildOutOfMemory) as exc:
        child.run(PROBE, {"do": "hog"}, memory_bytes=512 << 20, timeout=60)
    assert exc.value.code == "over_limit" and exc.value.exit_code == 14
    assert child.run(PROBE, {"do": "echo"})["event"] == "result"


def test_cpu_limit_is_a_typed_timeout():
    with pytest.raises(child.ChildCPULimit) as exc:
        child.run(PROBE, {"do": "spin"}, cpu_seconds=1, timeout=60)
    assert isinstance(exc.value, child.ChildTimeout) and exc.value.signal == signal.SIGXCPU


def test_a_child_killed_by_a_signal_is_a_typed_error():
    events = child.stream(PROBE, {"do": "sleep", "seconds": 120}, timeout=60)
    first = next(events)
    threading.Timer(0.2, os.kill, (first["me"], signal.SIGTERM)).start()
    with pytest.raises(child.ChildKilled) as exc:
        next(events)
    assert exc.value.signal == signal.SIGTERM and "SIGTERM" in str(exc.value)
