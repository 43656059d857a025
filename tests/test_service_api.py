"""The render service's HTTP API as a client sees it: auth, limits, submission, cancel, safety, files, links.

These run the real FastAPI app in-process (TestClient) with no workers, so jobs stay queued; the rendering path
is in test_service_e2e.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from briefreel.service.app import create_app
from briefreel.service.settings import Settings
from briefreel.service.storage import Storage, sign_token

KEY, KEY2 = "test-key-one", "test-key-two"
AUTH = {"Authorization": f"Bearer {KEY}"}
ROOT = Path(__file__).resolve().parents[1]


def board(**over) -> dict:
    b = {
        "title": "Harbour spot",
        "language": "en",
        "shots": [
            {"id": "S01", "size": "WS" if False else "LS", "duration_s": 0.5, "description": "A harbour at dawn",
             "prompt": "wide shot of a quiet harbour at dawn, mist"},
            {"id": "S02", "size": "CU", "movement": "push_in", "duration_s": 0.5,
             "description": "The bottle on the pier", "prompt": "close-up of a glass bottle on a wooden pier"},
        ],
    }
    b.update(over)
    return b


def shots_file(b: dict | None = None):
    return {"shots": ("shots.json", json.dumps(b or board()).encode(), "application/json")}


@pytest.fixture
def make_client(tmp_path):
    clients = []

    def make(**over):
        over = {"api_keys": (KEY, KEY2), "data_dir": tmp_path / "data", "workers": 0} | over
        settings = Settings(**over)
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_health_needs_no_key_and_everything_else_does(make_client):
    c = make_client()
    assert c.get("/health").json()["status"] == "ok"
    assert c.get("/openapi.json").status_code == 401  # the schema too (BRIEFREEL_DOCS=key)
    spec = c.get("/openapi.json", headers=AUTH).json()
    form = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"brief", "password", "shots", "renderer", "priority"} <= set(form["properties"])
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {KEY}"}):
        r = c.get("/v1/jobs", headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"
    assert c.post("/v1/jobs", files=shots_file()).status_code == 401
    assert c.get("/v1/jobs", headers=AUTH).status_code == 200
    assert c.get("/v1/jobs", headers={"Authorization": f"Bearer {KEY2}"}).status_code == 200  # second key


def test_upload_over_the_limit_is_413(make_client):
    c = make_client(max_upload_mb=0.01)  # 10 kB
    big = {"shots": ("shots.json", b"{" + b" " * 20_000 + b"}", "application/json")}
    r = c.post("/v1/jobs", headers=AUTH, files=big)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
    assert c.post("/v1/jobs", headers=AUTH, files=shots_file()).status_code == 202  # small ones still pass


def test_a_chunked_upload_over_the_limit_is_cut_off_with_413(make_client):
    c = make_client(max_upload_mb=0.01)
    boundary = "xyz"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"shots\"; filename=\"s.json\"\r\n"
            "Content-Type: application/json\r\n\r\n").encode()

    def body():  # no Content-Length: the limit is enforced on the bytes as they arrive
        yield head
        for _ in range(40):
            yield b" " * 1000

    r = c.post("/v1/jobs", headers=AUTH | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
               content=body())
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_rate_limit_per_key_is_429(make_client):
    c = make_client(rate_limit=3)
    codes = [c.get("/v1/jobs", headers=AUTH).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.get("/v1/jobs", headers=AUTH)
    assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    # the other key has its own bucket
    assert c.get("/v1/jobs", headers={"Authorization": f"Bearer {KEY2}"}).status_code == 200


def test_submit_shots_then_status_then_cancel(make_client, tmp_path):
    c = make_client()
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "panel", "priority": "7"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"].endswith(f"/v1/jobs/{job['id']}")
    assert job["status"] == "queued" and job["priority"] == 7
    assert [s["id"] for s in job["progress"]["shots"]] == ["S01", "S02"]
    assert all(s["state"] == "pending" for s in job["progress"]["shots"])

    got = c.get(f"/v1/jobs/{job['id']}", headers=AUTH).json()
    assert got["status"] == "queued" and got["options"]["renderer"] == "panel"
    # the stored shots.json is the submitted board
    stored = c.get(f"/v1/jobs/{job['id']}/files/shots.json", headers=AUTH)
    assert stored.status_code == 200 and [s["id"] for s in stored.json()["shots"]] == ["S01", "S02"]
    # another key does not see it
    other = {"Authorization": f"Bearer {KEY2}"}
    assert c.get(f"/v1/jobs/{job['id']}", headers=other).status_code == 404
    assert c.delete(f"/v1/jobs/{job['id']}", headers=other).status_code == 404

    r = c.delete(f"/v1/jobs/{job['id']}", headers=AUTH)
    assert r.status_code == 202 and r.json()["status"] == "cancelled"
    assert r.json()["error"]["code"] == "cancelled"
    assert c.delete(f"/v1/jobs/{job['id']}", headers=AUTH).status_code == 409
    assert [j["id"] for j in c.get("/v1/jobs", headers=AUTH).json()["jobs"]] == [job["id"]]


def test_bad_submissions_get_typed_errors(make_client):
    c = make_client()
    r = c.post("/v1/jobs", headers=AUTH, files={"shots": ("s.json", b"{not json", "application/json")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_shots"
    bad = board()
    bad["shots"][0]["size"] = "HUGE"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(bad))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_shots"
    assert "size" in r.json()["error"]["message"]
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "dalle"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_option"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"priority": "11"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_option"
    r = c.post("/v1/jobs", headers=AUTH, data={"renderer": "panel"})
    assert r.status_code in (415, 422)
    r = c.post("/v1/jobs", headers=AUTH, files={"brief": ("b.pdf", b"hello, not a pdf", "application/pdf")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "damaged_pdf"
    assert c.get("/v1/jobs/nope", headers=AUTH).json()["error"]["code"] == "job_not_found"


def test_content_safety_refuses_with_the_reason(make_client, tmp_path):
    c = make_client()
    b = board()
    b["shots"][1]["prompt"] = "close-up of the bottle, gory dismembered hands around it"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(b))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "unsafe_content" and err["shot"] == "S02" and err["field"] == "prompt"
    assert "S02" in err["message"] and err["term"] in ("gory", "dismembered")

    b = board(language="zh")
    b["shots"][0]["description"] = "码头上一片血腥的场面"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(b))
    assert r.status_code == 422 and r.json()["error"]["term"] == "血腥"

    # negative prompts are for naming what must not appear: not refused
    b = board()
    b["shots"][0]["negative_prompt"] = "gore, nudity"
    assert c.post("/v1/jobs", headers=AUTH, files=shots_file(b)).status_code == 202


def test_word_lists_are_configurable(make_client, tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("# client's list\nbottle\n-gore\n", encoding="utf-8")
    c = make_client(safety_words=(str(words),))
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file())
    assert r.status_code == 422 and r.json()["error"]["term"] == "bottle"
    b = board()
    b["shots"][0]["prompt"] = "gore"
    b["shots"][1]["prompt"] = b["shots"][1]["description"] = "a glass on the pier"
    assert c.post("/v1/jobs", headers=AUTH, files=shots_file(b)).status_code == 202
    c2 = make_client(safety=False, data_dir=tmp_path / "data2")
    b["shots"][0]["prompt"] = "gory"
    assert c2.post("/v1/jobs", headers=AUTH, files=shots_file(b)).status_code == 202


def test_files_cannot_leave_the_job_folder(make_client, tmp_path):
    c = make_client()
    job = c.post("/v1/jobs", headers=AUTH, files=shots_file()).json()
    (tmp_path / "data" / "outside.txt").write_text("secret")
    for name in ("../outside.txt", "..%2F..%2Foutside.txt", "%2e%2e/%2e%2e/outside.txt", "/etc/passwd",
                 "a/../../outside.txt", "shots.json%00"):
        r = c.get(f"/v1/jobs/{job['id']}/files/{name}", headers=AUTH)
        assert r.status_code in (400, 404), name
        assert b"secret" not in r.content
    assert c.get(f"/v1/jobs/{job['id']}/files/animatic.mp4", headers=AUTH).json()["error"]["code"] == \
        "file_not_found"


def test_expiring_links(make_client, tmp_path):
    c = make_client()
    job = c.post("/v1/jobs", headers=AUTH, files=shots_file()).json()
    link = c.get(f"/v1/jobs/{job['id']}/links/shots.json", headers=AUTH, params={"expires_in": 60}).json()
    assert link["expires_in"] == 60
    path = link["url"].split("testserver", 1)[1]
    r = c.get(path)  # no API key needed
    assert r.status_code == 200 and r.json()["shots"][0]["id"] == "S01"
    assert c.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")).status_code == 403  # tampered
    secret = c.app.state.settings.signing_secret()
    expired = sign_token(secret, job["id"], "shots.json", int(time.time()) - 1)
    r = c.get(f"/v1/files/{expired}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "link_expired"
    forged = sign_token(b"another secret", job["id"], "shots.json", int(time.time()) + 60)
    assert c.get(f"/v1/files/{forged}").status_code == 403


def test_storage_through_fsspec_memory_filesystem(tmp_path):
    """The non-local storage path (what S3 uses) through fsspec's in-memory filesystem."""
    s = Storage("memory://briefreel-test")
    assert not s.local and s.local_path("jobs/x/a.txt") is None
    s.put_bytes("jobs/x/shots.json", b'{"a": 1}')
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"\x00" * 1000)
    s.put_file(src, "jobs/x/clips/S01.mp4")
    assert s.list("jobs/x") == ["clips/S01.mp4", "shots.json"]
    assert s.get_bytes("jobs/x/shots.json") == b'{"a": 1}' and s.size("jobs/x/clips/S01.mp4") == 1000
    s.get_file("jobs/x/clips/S01.mp4", tmp_path / "back.mp4")
    assert (tmp_path / "back.mp4").read_bytes() == src.read_bytes()
    assert s.sign("jobs/x/shots.json", 60) is None  # memory has no presigned URLs: the API signs its own links
    s.delete("jobs/x")
    assert s.list("jobs/x") == []


def test_api_with_memory_storage_serves_files_through_the_api(make_client):
    c = make_client(storage="memory://briefreel-api")
    job = c.post("/v1/jobs", headers=AUTH, files=shots_file()).json()
    r = c.get(f"/v1/jobs/{job['id']}/files/shots.json", headers=AUTH)
    assert r.status_code == 200 and r.json()["title"] == "Harbour spot"
    names = [f["name"] for f in c.get(f"/v1/jobs/{job['id']}/files", headers=AUTH).json()["files"]]
    assert names == ["shots.json"]


def test_only_allowed_models(make_client):
    c = make_client(models=("/models/wan2.2-ti2v-5b",))
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "wan", "model": "/etc"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_option"
    r = c.post("/v1/jobs", headers=AUTH, files=shots_file(), data={"renderer": "wan", "model": "/models/wan2.2-ti2v-5b"})
    assert r.status_code == 202 and r.json()["options"]["model"] == "/models/wan2.2-ti2v-5b"
