"""Issue 13, the service side: what an adversarial probe got through, each reproduced against the real app
(TestClient or uvicorn on loopback, a real SQLite store and data folder; no mocks).

- every option through the one model: NaN, inf, negatives, unknown devices and dtypes -> 422 invalid_option and
  nothing committed; ``priority=²`` and non-integers -> 422; a deeply nested shots.json -> 422 JSON;
- an unexpected failure is a JSON 500, never plain text; a request that did not get its 202 left no row, no file;
- ``model`` names one of the operator's models, with one message for any other value; with none listed it is
  refused;
- job size bounds at the door (413 job_too_large); per-key priority ceilings;
- retention: the sweeper deletes finished jobs past the age or size limit, and nothing else;
- /openapi.json needs the key; failed authentications are limited per address (429 + Retry-After);
- a typed error with ``retry_after_s`` (the intake's ``busy``) is 503 + Retry-After;
- the access log never carries a query string; slow clients are cut off (headers and body deadlines).
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from briefreel.service.app import create_app
from briefreel.service.limits import guarded_h11
from briefreel.service.settings import Settings
from briefreel.service.store import JobStore

KEY, KEY2 = "hard-key-one", "hard-key-two"
AUTH = {"Authorization": f"Bearer {KEY}"}
AUTH2 = {"Authorization": f"Bearer {KEY2}"}


def board(n: int = 2, duration: float = 0.5) -> dict:
    return {"title": "Harbour spot", "language": "en", "shots": [
        {"id": f"S{i + 1:02d}", "size": "LS", "duration_s": duration, "description": "A harbour at dawn",
         "prompt": "wide shot of a quiet harbour at dawn"} for i in range(n)]}


def shots_file(b: dict | None = None, raw: bytes | None = None):
    return {"shots": ("shots.json", raw if raw is not None else json.dumps(b or board()).encode(), "application/json")}


@pytest.fixture
def make_client(tmp_path):
    clients = []

    def make(**over):
        over = {"api_keys": (KEY, KEY2), "data_dir": tmp_path / "data", "workers": 0} | over
        client = TestClient(create_app(Settings(**over)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def nothing_committed(c: TestClient) -> None:
    """No job row and no job folder in the data folder."""
    settings = c.app.state.settings
    assert JobStore(settings.db_path).list(limit=1000) == []
    jobs = settings.data_dir / "files" / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir()), list(jobs.rglob("*"))


# -- validation and errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("guidance", "nan"), ("guidance", "inf"), ("guidance", "-inf"), ("guidance", "-1"), ("guidance_2", "NaN"),
    ("flow_shift", "0"), ("steps", "-1"), ("steps", "0"), ("steps", "1.5"), ("width", "-5"), ("seed", "-3"),
    ("device", "quantum"), ("device", "cuda:x"), ("dtype", "float8"), ("memory", "all_of_it"), ("renderer", "dalle"),
    ("use_cache", "maybe"), ("bogus", None),
])
def test_every_bad_option_is_a_422_invalid_option_and_nothing_is_committed(make_client, field, value):
    c = make_client()
    data = {"renderer": "wan"} if field not in ("renderer", "seed", "use_cache") else {}
    if field == "width":
        data["height"] = "480"
    data[field] = value if value is not None else "1"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data=data)
    if field == "bogus":  # a form field that is no option is ignored, not stored
        assert r.status_code == 202 and "bogus" not in r.json()["options"]
        return
    assert r.status_code == 422, (field, value, r.text)
    assert r.json()["error"]["code"] == "invalid_option" and field in r.json()["error"]["message"]
    nothing_committed(c)
    assert c.get("/v1/jobs", headers=AUTH).status_code == 200  # and the key's listing still works


@pytest.mark.parametrize("priority", ["²", "٣", "5.0", "1e1", "-1", "10", " ", "0x5", "五"])
def test_priority_must_be_an_ascii_integer_0_to_9(make_client, priority):
    c = make_client()
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"priority": priority})
    if priority == " ":  # blank: the default
        assert r.status_code == 202 and r.json()["priority"] == 5
        return
    assert r.status_code == 422, (priority, r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "invalid_option"
    nothing_committed(c)


def test_a_deeply_nested_shots_json_is_a_422(make_client):
    c = make_client()
    deep = b"[" * 200_000 + b"]" * 200_000
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(raw=deep))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_shots"
    nested = b'{"title": "x", "shots": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(raw=nested))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_shots"
    nothing_committed(c)


def test_an_unexpected_failure_is_a_json_500_and_leaves_nothing(make_client):
    """A store that cannot take the row (its table is gone) is an internal error the code does not expect."""
    c = make_client()
    db = sqlite3.connect(c.app.state.settings.db_path)
    db.execute("DROP TABLE jobs")
    db.commit()
    db.close()
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file())
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"] == {"code": "internal",
                                 "message": "internal error (set BRIEFREEL_DEBUG=1 for the traceback)"}
    assert "jobs" not in r.text.lower().replace("/v1/jobs", "")  # nothing of the exception's text
    r = c.get("/v1/jobs", headers=AUTH)
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    files = c.app.state.settings.data_dir / "files" / "jobs"
    assert not files.exists() or not any(files.iterdir())  # the inputs written before the row were taken back


def test_a_typed_error_with_retry_after_is_503_with_the_header():
    """The intake's ``busy`` (all parse slots taken) carries ``retry_after_s``; any such error gets Retry-After."""
    from briefreel.errors import BriefreelError
    from briefreel.service.errors import error_response

    class Busy(BriefreelError):
        code, status, exit_code = "busy", 503, 16

        def __init__(self, message, retry_after_s):
            super().__init__(message)
            self.retry_after_s = retry_after_s

    r = error_response(Busy("every parse slot is taken; retry shortly", 2.2))
    assert r.status_code == 503 and r.headers["retry-after"] == "3"
    assert json.loads(r.body)["error"] == {"code": "busy", "message": "every parse slot is taken; retry shortly",
                                           "retry_after_s": 3}


def test_the_intakes_busy_error_reaches_the_client_as_503(make_client):
    busy = pytest.importorskip("briefreel.parsers.errors")
    Busy = getattr(busy, "Busy", None) or getattr(busy, "ParseBusy", None)
    if Busy is None:
        pytest.skip("the intake's busy error is not there yet")
    from briefreel.service.errors import error_response

    try:
        exc = Busy(retry_after_s=4)
    except TypeError:
        exc = Busy("busy", retry_after_s=4)
    r = error_response(exc)
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1


# -- model= ----------------------------------------------------------------------------------------------------------

def test_model_is_refused_when_the_operator_lists_none(make_client, tmp_path):
    c = make_client()
    messages = set()
    for model in ("/etc", "/nonexistent", str(tmp_path), "Wan-AI/Wan2.2-T2V-A14B-Diffusers", "x"):
        r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "wan", "model": model})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_option"
        messages.add(r.json()["error"]["message"])
    assert len(messages) == 1  # one message: nothing learnt about the server's disk
    nothing_committed(c)


def test_only_the_operators_models_by_name(make_client, tmp_path):
    folder = tmp_path / "wan-5b"
    folder.mkdir()
    c = make_client(models={"wan-5b": str(folder), "a14b": "/models/Wan2.2-T2V-A14B-Diffusers"})
    probes = {}
    for model in ("/etc", str(folder), "/models/Wan2.2-T2V-A14B-Diffusers", "/nonexistent", "Wan-AI/other", "../x"):
        r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "wan", "model": model})
        probes[model] = (r.status_code, r.json()["error"]["message"])
    assert {v for v in probes.values()} == {(422, probes["/etc"][1])}, probes  # paths are not names: one answer
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "wan", "model": "wan-5b"})
    assert r.status_code == 202 and r.json()["options"]["model"] == "wan-5b"  # the name, never the path
    assert str(folder) not in r.text


def test_models_setting_parses_names_and_paths():
    s = Settings(models="wan-5b=/models/5b, /models/a14b")
    assert s.models == {"wan-5b": "/models/5b", "/models/a14b": "/models/a14b"}
    from briefreel.service.submission import resolve_model

    assert resolve_model({"renderer": "wan", "model": "wan-5b"}, s)["model"] == "/models/5b"
    assert resolve_model({"renderer": "wan"}, s)["model"] == "/models/5b"  # the first is the default
    assert resolve_model({"renderer": "panel"}, s) == {"renderer": "panel"}


# -- job size and priority -------------------------------------------------------------------------------------------

def test_job_size_bounds_at_the_door(make_client):
    c = make_client(max_shots=5, max_shot_s=10, max_total_s=30)
    for b, what in ((board(6, 1.0), "6 shots"), (board(1, 11.0), "shot S01 lasts 11 s"),
                    (board(4, 9.0), "36 s in all")):
        r = c.post("/v1/jobs", headers=AUTH, files=shots_file(b))
        assert r.status_code == 413 and r.json()["error"]["code"] == "job_too_large", r.text
        assert what in r.json()["error"]["message"]
    nothing_committed(c)
    assert c.post("/v1/jobs", headers=AUTH, files=shots_file(board(5, 6.0))).status_code == 202


def test_the_default_bounds_refuse_the_probes_5000_shots_of_600_s(make_client):
    c = make_client()
    b = board(5000, 600.0)
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(b))
    assert r.status_code == 413 and "5000 shots" in r.json()["error"]["message"]
    nothing_committed(c)


def test_a_brief_that_plans_more_shots_than_the_bound_is_refused(make_client):
    from examples.briefpdf import BriefPDF

    pdf = BriefPDF("Long brief").heading("Long brief")
    for i in range(1, 13):
        pdf.paragraph(f"SHOT {i} | MEDIUM | The keeper climbs stair {i} of the lighthouse (2s)")
    c = make_client(max_shots=5)
    r = c.post("/v1/jobs", headers=AUTH, files={"brief": ("long.pdf", pdf.build(), "application/pdf")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "job_too_large", r.text
    nothing_committed(c)


def test_per_key_priority_ceiling(make_client):
    from briefreel.service.auth import key_id

    c = make_client(max_priority=5, key_priority={key_id(KEY2): 9})
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"priority": "9"})
    assert r.status_code == 422 and "at most 5" in r.json()["error"]["message"]
    assert c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"priority": "5"}).status_code == 202
    r = c.post("/v1/jobs", headers=AUTH2, files=shots_file(), data={"priority": "9"})
    assert r.status_code == 202 and r.json()["priority"] == 9


# -- retention -------------------------------------------------------------------------------------------------------

def test_the_sweeper_deletes_only_finished_jobs_past_retention(make_client):
    from briefreel.service.retention import sweep

    c = make_client(retention_days=7)
    ctx = c.app.state.ctx
    ids = {}
    for name in ("old_done", "old_failed", "old_cancelled", "new_done", "old_running", "old_queued"):
        ids[name] = c.post("/v1/jobs", headers=AUTH, files=shots_file()).json()["id"]
    store, now, day = ctx.store, time.time(), 86400
    for name, job_id in ids.items():
        status = name.split("_", 1)[1]
        if status in ("done", "failed", "cancelled", "running"):
            store.claim(job_id, "w", 60)
        if status != "running" and status != "queued":
            store.finish(job_id, "w", status, files=["shots.json"])
        age = 30 * day if name.startswith("old") else day
        db = sqlite3.connect(ctx.settings.db_path)
        db.execute("UPDATE jobs SET created=?, finished=CASE WHEN finished IS NULL THEN NULL ELSE ? END WHERE id=?",
                   (now - age, now - age, job_id))
        db.commit()
        db.close()
    report = sweep(ctx)
    assert sorted(report.deleted) == sorted(ids[n] for n in ("old_done", "old_failed", "old_cancelled"))
    assert report.freed_bytes > 0
    for name, job_id in ids.items():
        gone = name in ("old_done", "old_failed", "old_cancelled")
        assert (store.get(job_id) is None) == gone, name
        assert ctx.storage.exists(f"jobs/{job_id}/shots.json") != gone, name
        assert c.get(f"/v1/jobs/{job_id}", headers=AUTH).status_code == (404 if gone else 200)


def test_the_sweeper_keeps_finished_jobs_under_a_size_cap_oldest_first(make_client):
    from briefreel.service.retention import job_bytes, sweep

    c = make_client(retention_days=0, retention_gb=1e-9)  # a cap of 1 byte: every finished job but none live
    ctx = c.app.state.ctx
    done = [c.post("/v1/jobs", headers=AUTH, files=shots_file()).json()["id"] for _ in range(3)]
    live = c.post("/v1/jobs", headers=AUTH, files=shots_file()).json()["id"]
    for i, job_id in enumerate(done):
        ctx.store.claim(job_id, "w", 60)
        ctx.store.finish(job_id, "w", "done", files=["shots.json"])
    one = job_bytes(ctx, done[0])
    ctx.settings.retention_gb = (2 * one + one // 2) / 1e9  # room for two jobs: the oldest goes
    assert sweep(ctx).deleted == [done[0]]
    assert ctx.store.get(live) is not None and ctx.storage.exists(f"jobs/{live}/shots.json")


# -- docs, auth failures -----------------------------------------------------------------------------------------------

def test_openapi_needs_the_key_and_docs_follow_the_setting(make_client, tmp_path):
    c = make_client()
    assert c.get("/openapi.json").status_code == 401
    assert c.get("/openapi.json", headers=AUTH).json()["paths"]["/v1/jobs"]
    assert c.get("/docs").status_code == 404 and c.get("/redoc").status_code == 404
    o = make_client(docs="open", data_dir=tmp_path / "open")
    assert o.get("/openapi.json").status_code == 200 and o.get("/docs").status_code == 200
    off = make_client(docs="off", data_dir=tmp_path / "off")
    assert off.get("/openapi.json", headers=AUTH).status_code == 404 and off.get("/docs").status_code == 404


def test_failed_authentications_are_limited_per_address(make_client):
    c = make_client(auth_fail_limit=5)
    codes = [c.get("/v1/jobs", headers={"Authorization": f"Bearer guess-{i}"}).status_code for i in range(7)]
    assert codes == [401] * 5 + [429] * 2
    r = c.get("/v1/jobs", headers=AUTH)  # the right key from that address waits too: guessing gets nowhere
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    other = TestClient(c.app, client=("10.9.8.7", 5000))  # another address is not affected
    assert other.get("/v1/jobs", headers=AUTH).status_code == 200
    assert c.get("/health").status_code == 200


# -- over a real socket: the access log, slow clients ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, settings: Settings, **config):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                                    lifespan="on", **config))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(30)


def test_the_access_log_never_carries_a_query_string(tmp_path):
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Capture()
    access = logging.getLogger("uvicorn.access")
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=0)
    with Server(settings, log_level="info", access_log=True) as url:
        access.addHandler(handler)
        try:
            httpx.get(url + "/v1/jobs?password=hunter2-secret&status=done", headers=AUTH)
            httpx.get(url + "/v1/jobs?password=hunter2-secret")
        finally:
            access.removeHandler(handler)
    lines = [r for r in records if "/v1/jobs" in r]
    assert len(lines) == 2, records
    assert all("hunter2" not in r and "?" not in r for r in lines), lines
    assert "GET /v1/jobs" in lines[0] and "200" in lines[0] and "401" in lines[1]


def _slow_send(port: int, chunks: list[bytes], every: float, limit: float) -> tuple[float, bytes]:
    """Send ``chunks`` one by one, ``every`` s apart; return when the server closes (seconds, what it said)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.2)
    t0, got = time.monotonic(), b""
    try:
        for chunk in chunks:
            s.sendall(chunk)
            end = time.monotonic() + every
            while time.monotonic() < end:
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    return time.monotonic() - t0, got
                got += data
            if time.monotonic() - t0 > limit:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        s.close()
    return time.monotonic() - t0, got


def test_a_client_dribbling_its_headers_is_cut_off(tmp_path):
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=0)
    head = f"GET /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nX-Pad: " + "a" * 40
    server = Server(settings, log_level="warning", http=guarded_h11(2.0))
    with server:
        took, said = _slow_send(server.port, [c.encode() for c in head], every=0.5, limit=12)
    assert took < 4, f"a byte every 0.5 s kept the connection {took:.1f} s"  # the header deadline: 2 s


def test_a_client_dribbling_its_body_gets_408(tmp_path):
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=0, body_timeout=2.0)
    part = b'--b\r\nContent-Disposition: form-data; name="shots"; filename="s.json"\r\n\r\n'
    body = b'{"title": "x"}' * 4
    head = (f"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body) + 200}\r\n\r\n"
            ).encode() + part
    server = Server(settings, log_level="warning", http=guarded_h11(10.0))
    with server:
        took, said = _slow_send(server.port, [head] + [body[i:i + 1] for i in range(len(body))], every=0.5, limit=12)
    assert b" 408 " in said.split(b"\r\n", 1)[0] and b"request_timeout" in said, said[:300]
    assert took < 5, took
