"""Where job inputs and outputs live: a local folder (default) or any fsspec filesystem, S3-compatible included.

Keys are relative paths such as ``jobs/<id>/animatic.mp4``. ``BRIEFREEL_STORAGE`` picks the place:

    /srv/briefreel/files            a local folder (the default is DATA_DIR/files)
    s3://bucket/prefix              S3 or any S3-compatible server (pip install s3fs); credentials from the usual
                                    AWS_* variables, the endpoint from BRIEFREEL_S3_ENDPOINT (MinIO, Ceph, R2...)
    memory://briefreel              in-process memory (tests)

Download links expire: S3 gives presigned URLs (``fs.sign``); a local folder is served by the API through an
HMAC-signed ``/v1/files/<token>`` route (see ``sign_token``/``check_token``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import posixpath
import time
from pathlib import Path

import fsspec

# Job files hold decrypted storyboards: only the service's own user may read them (files 0600, folders 0700).
PRIVATE_UMASK = 0o077
FILE_MODE, DIR_MODE = 0o600, 0o700


def private_umask() -> None:
    """Make every file this process creates from now on private (the worker/render path calls it; process-wide)."""
    os.umask(PRIVATE_UMASK)


def _private_dirs(path: Path) -> None:
    """``mkdir -p`` with every folder it makes 0700 (``Path.mkdir(mode=)`` gives the mode to the last one only)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)  # whatever the umask


class BadKey(ValueError):
    """A file name that would leave the job's folder (``..``, an absolute path, a backslash, a NUL)."""


def safe_name(name: str) -> str:
    """Normalise a file name inside a job's folder, refusing anything that could escape it."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise BadKey(name)
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise BadKey(name)
    return "/".join(parts)


class Storage:
    def __init__(self, url: str, **options):
        if "://" not in url:
            url = Path(url).expanduser().resolve().as_uri()
        protocol = url.split("://", 1)[0]
        if protocol == "s3" and os.environ.get("BRIEFREEL_S3_ENDPOINT") and "endpoint_url" not in options:
            options["endpoint_url"] = os.environ["BRIEFREEL_S3_ENDPOINT"]
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url, **options)
        self.root = self.root.rstrip("/")
        self.local = protocol in ("file", "local")
        if self.local:
            _private_dirs(Path(self.root))
            os.chmod(self.root, DIR_MODE)  # also a folder an older version made 0755: nothing below is reachable

    def path(self, key: str) -> str:
        return posixpath.join(self.root, key)

    def local_path(self, key: str) -> Path | None:
        """The file on this machine's disk, when the storage is a local folder."""
        return Path(self.path(key)) if self.local else None

    def put_bytes(self, key: str, data: bytes) -> None:
        self._makedirs(key)
        tmp = self.path(key) + ".part"
        with self.fs.open(tmp, "wb") as f:
            f.write(data)
        self._private(tmp)
        self._commit(tmp, key)

    def put_file(self, local: Path, key: str) -> None:
        if self.local and Path(self.path(key)).resolve() == Path(local).resolve():
            return
        self._makedirs(key)
        tmp = self.path(key) + ".part"
        self.fs.put_file(str(local), tmp)
        self._private(tmp)
        self._commit(tmp, key)

    def get_bytes(self, key: str) -> bytes:
        with self.fs.open(self.path(key), "rb") as f:
            return f.read()

    def get_file(self, key: str, local: Path) -> None:
        _private_dirs(local.parent)
        tmp = local.with_name(local.name + ".part")
        self.fs.get_file(self.path(key), str(tmp))
        os.chmod(tmp, FILE_MODE)
        tmp.replace(local)

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def size(self, key: str) -> int:
        return int(self.fs.size(self.path(key)))

    def open(self, key: str, mode: str = "rb"):
        return self.fs.open(self.path(key), mode)

    def list(self, prefix: str) -> list[str]:
        """Every file under ``prefix`` (recursively), as keys relative to ``prefix``; work files (``*.part``,
        hidden names such as a render's ``.render-*`` scratch folder) are left out."""
        base = self.path(prefix).rstrip("/")
        if not self.fs.exists(base):
            return []
        out = []
        for p in self.fs.find(base):
            rel = posixpath.relpath(self._strip(p), self._strip(base))
            if not rel.endswith(".part") and not any(part.startswith(".") for part in rel.split("/")):
                out.append(rel)
        return sorted(out)

    def delete(self, prefix: str) -> None:
        if self.fs.exists(self.path(prefix)):
            self.fs.rm(self.path(prefix), recursive=True)

    def sign(self, key: str, expires_s: int) -> str | None:
        """A presigned URL when the filesystem has them (S3); None otherwise."""
        if self.local:
            return None
        try:
            return self.fs.sign(self.path(key), expiration=expires_s)
        except NotImplementedError:
            return None

    # -- helpers ------------------------------------------------------------------------------------------------
    def _strip(self, p: str) -> str:
        return p.split("://", 1)[-1].lstrip("/")

    def _makedirs(self, key: str) -> None:
        parent = posixpath.dirname(self.path(key))
        if parent and self.local:
            _private_dirs(Path(parent))  # a job's folder and every folder above it: 0700
        elif parent:
            self.fs.makedirs(parent, exist_ok=True)

    def _private(self, tmp: str) -> None:
        if self.local:
            os.chmod(tmp, FILE_MODE)

    def _commit(self, tmp: str, key: str) -> None:
        # Readers never see half a file: write under a temporary name, then move it into place.
        self.fs.mv(tmp, self.path(key))


# -- signed links for local storage ---------------------------------------------------------------------------------

def sign_token(secret: bytes, job_id: str, name: str, expires_at: int) -> str:
    body = base64.urlsafe_b64encode(json.dumps([job_id, name, expires_at]).encode()).decode().rstrip("=")
    mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{mac}"


def check_token(secret: bytes, token: str) -> tuple[str, str] | None:
    """``(job_id, name)`` for a valid, unexpired token; None otherwise."""
    try:
        body, mac = token.rsplit(".", 1)
        good = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, good):
            return None
        job_id, name, expires_at = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    if time.time() > expires_at:
        return None
    return job_id, name
