"""The render service: an HTTP API in front of a job queue, with an embedded default that needs no server.

    from briefreel.service.app import create_app
    from briefreel.service.settings import Settings
    app = create_app(Settings.from_env())          # then uvicorn.run(app)

Embedded (no configuration): a SQLite job store, a durable queue in the same file and worker threads in the
server process. With ``BRIEFREEL_BROKER=redis://...`` jobs go to Celery workers (``briefreel worker``).
Modules: settings (configuration), auth, limits, store (jobs in SQLite), redis_store (jobs in Redis, for a farm on
several machines), queue (embedded queue and worker),
runner (one job, top to bottom), celery_app (Redis mode), storage (local disk or S3), safety (prompt filter),
app (the FastAPI routes), cli (``briefreel serve`` and ``briefreel worker``).
"""
