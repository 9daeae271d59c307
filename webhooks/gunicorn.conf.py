"""gunicorn settings: ``gunicorn -c webhooks/gunicorn.conf.py -w 4 -b 127.0.0.1:8000 webhooks.wsgi:app``.

The app is loaded once in the master and forked: the NLU model and jieba's dictionary take seconds of CPU
to load, and four workers loading them at once on a small machine could outrun gunicorn's boot timeout and
restart each other forever. After the fork each worker drops the pooled database connections it inherited
(none are opened before the fork, but a shared socket between processes must never happen).
"""

from typing import Any

preload_app = True
timeout = 30


def post_fork(server: Any, worker: Any) -> None:
    from webhooks.wsgi import app

    app.extensions["alleybot"].rt.uow.dispose_after_fork()
