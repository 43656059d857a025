"""Service configuration, read once from the environment (every variable is optional).

| variable | default | meaning |
|---|---|---|
| BRIEFREEL_API_KEY | (none: the server refuses to start unless BRIEFREEL_INSECURE_NO_AUTH=1) | API keys, comma-separated |
| BRIEFREEL_DATA_DIR | ~/.local/share/briefreel | job store, queue, shot cache, local outputs |
| BRIEFREEL_BROKER | (none: embedded) | redis://host:port/db sends jobs to Celery workers |
| BRIEFREEL_STORE | (DATA_DIR/jobs.sqlite3) | the job store: SQLite in the data folder, or redis://host:port/db (farm on several machines) |
| BRIEFREEL_STORAGE | (DATA_DIR/files) | where inputs and outputs live: a folder, file://, s3://bucket/prefix, memory:// |
| BRIEFREEL_MAX_UPLOAD_MB | 50 | request body limit (413 above it) |
| BRIEFREEL_RATE_LIMIT | 600 | requests per minute per key (429 above it) |
| BRIEFREEL_SUBMIT_LIMIT | 30 | job submissions per minute per key |
| BRIEFREEL_CONCURRENCY | 1 | jobs the embedded server renders at once (worker threads) |
| BRIEFREEL_LINK_TTL | 3600 | seconds a download link stays valid |
| BRIEFREEL_SAFETY_WORDS | (built-in EN+ZH lists) | extra word-list files, comma-separated (one term a line) |
| BRIEFREEL_SAFETY | on | "off" disables the prompt filter |
| BRIEFREEL_MAX_RETRIES | 3 | retries of a job after a transient failure |
| BRIEFREEL_RETRY_BACKOFF | 5 | first retry delay in seconds (doubles each time, at most 10 min) |
| BRIEFREEL_LEASE_S | 30 | a running job whose worker sent no heartbeat for this long is given to another worker |
| BRIEFREEL_VISIBILITY_TIMEOUT | 21600 | Redis visibility timeout (s): longer than the longest render |
| BRIEFREEL_MODELS | (any) | Wan models a client may ask for (folders or hub ids, comma-separated) |
| BRIEFREEL_SECRET | (random, kept in DATA_DIR/secret) | key that signs download links |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _keys(raw: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (raw or "").split(",") if k.strip())


@dataclass
class Settings:
    api_keys: tuple[str, ...] = ()
    insecure_no_auth: bool = False
    data_dir: Path = field(default_factory=lambda: Path.home() / ".local" / "share" / "briefreel")
    broker: str | None = None
    store: str | None = None  # None: SQLite in data_dir; redis://... for a farm on several machines
    storage: str | None = None  # None: data_dir/files
    storage_options: dict = field(default_factory=dict)
    max_upload_mb: float = 50.0
    rate_limit: int = 600  # requests / minute / key
    submit_limit: int = 30  # jobs / minute / key
    workers: int = 1  # embedded worker threads (0: API only, e.g. in Redis mode)
    link_ttl: int = 3600
    safety: bool = True
    safety_words: tuple[str, ...] = ()  # extra word-list files
    max_retries: int = 3
    retry_backoff: float = 5.0
    lease_s: float = 30.0
    visibility_timeout: int = 6 * 3600
    secret: str | None = None
    models: tuple[str, ...] = ()  # allowed values of the 'model' option; empty: any
    queue_name: str = "briefreel"
    poll_interval: float = 0.5  # embedded workers: how often an idle worker looks for a job

    def __post_init__(self):
        self.data_dir = Path(self.data_dir).expanduser()
        self.api_keys = tuple(self.api_keys)
        self.safety_words = tuple(self.safety_words)
        self.models = tuple(self.models)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        s = cls(
            api_keys=_keys(_env("BRIEFREEL_API_KEY")),
            insecure_no_auth=_env("BRIEFREEL_INSECURE_NO_AUTH", "0") == "1",
            data_dir=Path(_env("BRIEFREEL_DATA_DIR", str(Path.home() / ".local" / "share" / "briefreel"))),
            broker=_env("BRIEFREEL_BROKER"),
            store=_env("BRIEFREEL_STORE"),
            storage=_env("BRIEFREEL_STORAGE"),
            max_upload_mb=float(_env("BRIEFREEL_MAX_UPLOAD_MB", "50")),
            rate_limit=int(_env("BRIEFREEL_RATE_LIMIT", "600")),
            submit_limit=int(_env("BRIEFREEL_SUBMIT_LIMIT", "30")),
            workers=int(_env("BRIEFREEL_CONCURRENCY", "1")),
            link_ttl=int(_env("BRIEFREEL_LINK_TTL", "3600")),
            safety=_env("BRIEFREEL_SAFETY", "on").lower() not in ("off", "0", "false", "no"),
            safety_words=_keys(_env("BRIEFREEL_SAFETY_WORDS")),
            max_retries=int(_env("BRIEFREEL_MAX_RETRIES", "3")),
            retry_backoff=float(_env("BRIEFREEL_RETRY_BACKOFF", "5")),
            lease_s=float(_env("BRIEFREEL_LEASE_S", "30")),
            visibility_timeout=int(_env("BRIEFREEL_VISIBILITY_TIMEOUT", str(6 * 3600))),
            secret=_env("BRIEFREEL_SECRET"),
            models=_keys(_env("BRIEFREEL_MODELS")),
        )
        for key, value in overrides.items():
            setattr(s, key, value)
        s.data_dir = Path(s.data_dir)
        return s

    @property
    def embedded(self) -> bool:
        return not self.broker

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def storage_url(self) -> str:
        return self.storage or str(self.data_dir / "files")

    def signing_secret(self) -> bytes:
        """The key that signs download links: BRIEFREEL_SECRET, or a random one kept beside the job store."""
        if self.secret:
            return self.secret.encode()
        path = self.data_dir / "secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"secret.{os.getpid()}.part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
            try:
                os.link(tmp, path)  # first writer wins; others read its key
            except FileExistsError:
                pass
            tmp.unlink()
        return path.read_text().strip().encode()
