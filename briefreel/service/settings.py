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
| BRIEFREEL_MODELS | (none: `model` refused) | the Wan models a client may name: NAME=PATH, comma-separated (a bare PATH is its own name); the first is the default of renderer=wan |
| BRIEFREEL_LORAS | (none: `lora` refused) | the LoRAs a client may name (`lora=NAME[:scale]`): NAME=PATH, comma-separated, as BRIEFREEL_MODELS |
| BRIEFREEL_SHOT_PARALLEL | on | Celery mode: a Wan job's shots fan out across the workers (one per GPU); off: one worker renders a job |
| BRIEFREEL_SECRET | (random, kept in DATA_DIR/secret) | key that signs download links |
| BRIEFREEL_MAX_SHOTS | 300 | shots per job (413 job_too_large above it) |
| BRIEFREEL_MAX_SHOT_S | 120 | seconds per shot (413 job_too_large above it) |
| BRIEFREEL_MAX_TOTAL_S | 900 | seconds per job, all shots together (413 job_too_large above it) |
| BRIEFREEL_MAX_PRIORITY | 9 | highest priority a key may ask for (422 above it) |
| BRIEFREEL_KEY_PRIORITY | (none) | per-key ceilings: KEYID=N, comma-separated (KEYID: the k_... id the log shows) |
| BRIEFREEL_RETENTION_DAYS | 30 | finished jobs (done, failed, cancelled) and their files are deleted this long after they finish; 0 keeps them |
| BRIEFREEL_RETENTION_GB | 0 | also delete the oldest finished jobs while their files take more than this (0: no size cap) |
| BRIEFREEL_SWEEP_S | 600 | how often the retention sweeper runs |
| BRIEFREEL_DOCS | key | /openapi.json: "key" (needs the API key; no /docs, /redoc), "open" (all three without a key), "off" |
| BRIEFREEL_AUTH_FAIL_LIMIT | 20 | failed authentications per minute per client address (429 above it, for every request from it) |
| BRIEFREEL_HEADER_TIMEOUT | 10 | seconds a client has to send a request's headers (the connection is closed after) |
| BRIEFREEL_BODY_TIMEOUT | 120 | seconds a client has to send a request's body (408 after) |
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


def parse_models(entries) -> dict[str, str]:
    """``BRIEFREEL_MODELS`` as ``{name: path}``: ``NAME=PATH`` entries (a comma-separated string or a list; a
    bare ``PATH`` is its own name; a mapping is taken as it is)."""
    if isinstance(entries, dict):
        return {str(k): str(v) for k, v in entries.items()}
    if isinstance(entries, str):
        entries = _keys(entries)
    out: dict[str, str] = {}
    for entry in entries or ():
        name, sep, path = str(entry).partition("=")
        name, path = name.strip(), path.strip()
        out[name] = path if sep else name
    return out


def parse_ceilings(raw) -> dict[str, int]:
    """``BRIEFREEL_KEY_PRIORITY`` (``KEYID=N,...``) as ``{key id: ceiling}``."""
    if isinstance(raw, dict):
        return {str(k): int(v) for k, v in raw.items()}
    out = {}
    for entry in _keys(raw) if isinstance(raw, (str, type(None))) else raw:
        kid, _, n = entry.partition("=")
        out[kid.strip()] = max(0, min(9, int(n)))
    return out


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
    models: dict[str, str] = field(default_factory=dict)  # name -> folder or hub id; empty: 'model' refused
    loras: dict[str, str] = field(default_factory=dict)  # name -> .safetensors file; empty: 'lora' refused
    shot_parallel: bool = True  # Celery mode: a Wan job's shots fan out across the workers (service/fanout.py)
    queue_name: str = "briefreel"
    poll_interval: float = 0.5  # embedded workers: how often an idle worker looks for a job
    # job size, checked at the door
    max_shots: int = 300
    max_shot_s: float = 120.0
    max_total_s: float = 900.0
    # priorities: the highest a key may ask for (per key id, else max_priority)
    max_priority: int = 9
    key_priority: dict[str, int] = field(default_factory=dict)
    # retention of finished jobs and their files
    retention_days: float = 30.0
    retention_gb: float = 0.0
    sweep_s: float = 600.0
    # the HTTP side
    docs: str = "key"  # key | open | off
    auth_fail_limit: int = 20  # failed authentications / minute / client address
    header_timeout: float = 10.0
    body_timeout: float = 120.0

    def __post_init__(self):
        self.data_dir = Path(self.data_dir).expanduser()
        self.api_keys = tuple(self.api_keys)
        self.safety_words = tuple(self.safety_words)
        self.models = parse_models(self.models)
        self.loras = parse_models(self.loras)
        self.key_priority = parse_ceilings(self.key_priority)
        if self.docs not in ("key", "open", "off"):
            raise ValueError("BRIEFREEL_DOCS must be key, open or off")

    def priority_ceiling(self, kid: str) -> int:
        return self.key_priority.get(kid, self.max_priority)

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
            models=parse_models(_env("BRIEFREEL_MODELS")),
            loras=parse_models(_env("BRIEFREEL_LORAS")),
            shot_parallel=_env("BRIEFREEL_SHOT_PARALLEL", "on").lower() not in ("off", "0", "false", "no"),
            max_shots=int(_env("BRIEFREEL_MAX_SHOTS", "300")),
            max_shot_s=float(_env("BRIEFREEL_MAX_SHOT_S", "120")),
            max_total_s=float(_env("BRIEFREEL_MAX_TOTAL_S", "900")),
            max_priority=int(_env("BRIEFREEL_MAX_PRIORITY", "9")),
            key_priority=parse_ceilings(_env("BRIEFREEL_KEY_PRIORITY")),
            retention_days=float(_env("BRIEFREEL_RETENTION_DAYS", "30")),
            retention_gb=float(_env("BRIEFREEL_RETENTION_GB", "0")),
            sweep_s=float(_env("BRIEFREEL_SWEEP_S", "600")),
            docs=_env("BRIEFREEL_DOCS", "key").lower(),
            auth_fail_limit=int(_env("BRIEFREEL_AUTH_FAIL_LIMIT", "20")),
            header_timeout=float(_env("BRIEFREEL_HEADER_TIMEOUT", "10")),
            body_timeout=float(_env("BRIEFREEL_BODY_TIMEOUT", "120")),
        )
        for key, value in overrides.items():
            setattr(s, key, value)
        s.__post_init__()
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
