"""Outputs in S3-compatible storage: the service against a real local S3 server (moto's, over HTTP, through s3fs).

A job renders on the worker's disk, its files are uploaded to the bucket, the API's downloads redirect to
presigned URLs, and the expiring links are presigned URLs too.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import httpx
import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

from briefreel.service.settings import Settings  # noqa: E402
from briefreel.service.storage import Storage  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling test module
from test_service_e2e import AUTH, KEY, ThreadedServer, board, free_port, submit, video_frames, wait_for  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def s3(monkeypatch):
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("BRIEFREEL_S3_ENDPOINT", endpoint)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    bucket = f"renders-{uuid.uuid4().hex[:8]}"  # moto keeps buckets per process, across servers
    fs.mkdir(bucket)
    yield endpoint, bucket
    server.stop()


def test_storage_round_trip_on_s3(s3, tmp_path):
    s3, bucket = s3
    st = Storage(f"s3://{bucket}/briefreel")
    assert not st.local
    st.put_bytes("jobs/a/shots.json", b"{}")
    (tmp_path / "c.mp4").write_bytes(b"x" * 5000)
    st.put_file(tmp_path / "c.mp4", "jobs/a/clips/S01.mp4")
    assert st.list("jobs/a") == ["clips/S01.mp4", "shots.json"]
    url = st.sign("jobs/a/clips/S01.mp4", 60)
    assert url.startswith(s3) and "Signature" in url
    assert httpx.get(url).content == b"x" * 5000


def test_a_job_with_outputs_on_s3(s3, tmp_path):
    s3, bucket = s3
    settings = Settings(api_keys=(KEY,), data_dir=tmp_path / "data", workers=1, poll_interval=0.2,
                        storage=f"s3://{bucket}/briefreel")
    with ThreadedServer(settings) as client:
        job = submit(client, board(2))
        done = wait_for(client, job["id"])
        assert done["status"] == "done", done
        names = {f["name"] for f in done["files"]}
        assert {"animatic.mp4", "shots.json", "render.json", "clips/S01.mp4"} <= names
        # nothing of the job stays on the worker's disk
        assert not (settings.work_dir / job["id"]).exists()

        r = client.get(f"/v1/jobs/{job['id']}/files/animatic.mp4", headers=AUTH)
        assert r.status_code == 307 and r.headers["location"].startswith(s3)
        video = httpx.get(r.headers["location"]).content
        (tmp_path / "a.mp4").write_bytes(video)
        assert video_frames(tmp_path / "a.mp4") == 24

        link = client.get(f"/v1/jobs/{job['id']}/links/animatic.mp4", headers=AUTH,
                          params={"expires_in": 120}).json()
        assert link["url"].startswith(s3) and link["expires_in"] == 120
        assert httpx.get(link["url"]).content == video
        import s3fs

        assert s3fs.S3FileSystem(endpoint_url=s3).exists(f"{bucket}/briefreel/jobs/{job['id']}/animatic.mp4")
