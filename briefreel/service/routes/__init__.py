"""The API's routes, one router per resource: ``health``, ``jobs`` (submit, list, status, cancel) and ``files``
(outputs, expiring links). ``create_app`` (``briefreel/service/app.py``) includes them."""

from briefreel.service.routes import files, health, jobs

ROUTERS = (health.router, jobs.router, files.router)
