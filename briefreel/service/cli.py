"""``briefreel serve`` and ``briefreel worker`` (picked up by briefreel/cli.py through ``register_cli``).

    briefreel serve [--host 127.0.0.1] [--port 8000] [--data-dir DIR] [--concurrency N]
    BRIEFREEL_BROKER=redis://127.0.0.1:6379/0 briefreel worker --gpu 0     # one per GPU
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path


def register_cli(sub) -> None:
    p = sub.add_parser("serve", help="run the render service (HTTP API; embedded queue and workers by default)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--data-dir", metavar="DIR", help="job store, queue, cache and outputs (default: "
                   "$BRIEFREEL_DATA_DIR or ~/.local/share/briefreel)")
    p.add_argument("--concurrency", type=int, help="jobs rendered at once by embedded worker threads (default: "
                   "$BRIEFREEL_CONCURRENCY or 1; 0 with BRIEFREEL_BROKER set: Celery workers render)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run a Celery render worker (needs BRIEFREEL_BROKER=redis://...)")
    p.add_argument("--gpu", metavar="N", help="pin this worker to GPU N (sets CUDA_VISIBLE_DEVICES)")
    p.add_argument("--data-dir", metavar="DIR", help="the job store and cache shared with the API")
    p.add_argument("--name", help="worker name (default: briefreel-gpuN@host or briefreel-PID@host)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_worker)


def _settings(args):
    from briefreel.service.settings import Settings

    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings.from_env(**overrides)


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # the exports' font subsetting is chatty


def local_api_key(data_dir: Path) -> str:
    """With no BRIEFREEL_API_KEY, ``serve`` makes one key, keeps it in DATA_DIR/api_key (mode 600) and prints it."""
    path = data_dir / "api_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("br_" + secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def no_hub_downloads() -> None:
    """The service renders only with the operator's models (BRIEFREEL_MODELS), and never downloads one: a hub id
    listed there is read from the local Hugging Face cache (``huggingface-cli download`` it first). Set
    HF_HUB_OFFLINE=0 yourself to let listed hub ids download."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def cmd_serve(args) -> int:
    no_hub_downloads()
    import uvicorn

    from briefreel.service.app import create_app

    _logging(args.log_level)
    settings = _settings(args)
    if args.concurrency is not None:
        settings.workers = args.concurrency
    elif settings.broker:
        settings.workers = 0
    if not settings.api_keys and not settings.insecure_no_auth:
        settings.api_keys = (local_api_key(settings.data_dir),)
        print(f"briefreel: API key: {settings.api_keys[0]}  (kept in {settings.data_dir / 'api_key'}; "
              "set BRIEFREEL_API_KEY to choose your own)", file=sys.stderr, flush=True)
    from briefreel.service.queue import DataDirLocked, lock_data_dir
    from briefreel.service.runner import Context

    try:
        if settings.embedded:  # one embedded server per data folder: say so before uvicorn starts
            os.close(lock_data_dir(Context.from_settings(settings)))
        app = create_app(settings)
    except (DataDirLocked, RuntimeError, ValueError) as exc:
        print(f"briefreel: error: {exc}", file=sys.stderr)
        return 2
    print(f"briefreel: serving on http://{args.host}:{args.port}  ({'embedded' if settings.embedded else 'redis'} "
          f"mode, data in {settings.data_dir})", file=sys.stderr, flush=True)
    from briefreel.service.limits import guarded_h11

    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                http=guarded_h11(settings.header_timeout), timeout_keep_alive=5)
    return 0


def cmd_worker(args) -> int:
    no_hub_downloads()
    _logging(args.log_level)
    if args.gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(args.gpu)  # before anything imports torch
    settings = _settings(args)
    if not settings.broker:
        print("briefreel: error: set BRIEFREEL_BROKER=redis://host:port/db for workers "
              "(with no broker, 'briefreel serve' runs its own workers)", file=sys.stderr)
        return 2
    from briefreel.service.celery_app import get_celery, publish
    from briefreel.service.queue import Reaper, worker_name
    from briefreel.service.runner import Context

    app = get_celery(settings)
    app.briefreel_worker_name = worker_name("celery")
    ctx = Context.from_settings(settings)
    Reaper(ctx, publish=lambda job_id, priority: publish(settings, job_id, priority)).start()
    name = args.name or (f"briefreel-gpu{args.gpu}@%h" if args.gpu is not None else f"briefreel-{os.getpid()}@%h")
    app.worker_main([
        "worker", "--pool=solo", "--concurrency=1", "--prefetch-multiplier=1", "-Q", settings.queue_name,
        "-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat",
        f"--loglevel={args.log_level.upper()}",
    ])
    return 0
