"""gunicorn's configuration module (``--config python:service.gunicorn_conf``).

The master imports the application's modules once, before it forks its workers: they
start with Flask, SQLAlchemy, presidio and the handlers already imported (copy-on-write)
instead of importing them each (about 5 s of CPU per worker on a 2-CPU machine, so the
first request after ``make run`` waited that long). Only modules are imported here, never
``create_app``: database pools and HSM sessions must not cross a fork, so every worker
still builds its own runtime (service.wsgi).
"""

import service.app  # noqa: F401
