"""The render service: an HTTP API in front of a job queue, with an embedded default that needs no server.

    from briefreel.service.app import create_app
    from briefreel.service.settings import Settings
    app = create_app(Settings.from_env())          # then uvicorn.run(app)

Embedded (no configuration): a SQLite job store, a durable queue in the same file and worker threads in the
server process. With ``BRIEFREEL_BROKER=redis://...`` jobs go to Celery workers (``briefreel worker``).
Modules: settings (configuration), auth (API keys), limits (rate and body limits), store (jobs in SQLite),
redis_store (jobs in Redis, for a farm on several machines), queue (embedded queue and workers), runner (one
claimed job, top to bottom: ``run_claimed_job``), celery_app (Redis mode), storage (local disk or S3), safety
(prompt filter); the HTTP side: app (``create_app``: assembles the app), deps (the service's state and the API-key
dependency), errors (errors as HTTP answers), submission (a submission checked against the job contract), views
(a job as the API shows it), routes/ (one router per resource); cli (``briefreel serve`` and ``briefreel worker``).
FastAPI, Starlette and uvicorn are imported only in this package.
"""
