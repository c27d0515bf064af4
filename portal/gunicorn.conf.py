"""gunicorn settings; every value can be overridden by the environment variables in .env.example."""

import os

from gunicorn.glogging import Logger

from reports.redaction import redact

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))  # a 15 MB photo over a slow phone connection
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


class RedactingLogger(Logger):
    """The access log never carries a status-link token: not in the request line, not in the referer.

    Django's LOGGING redacts every line written through its handler too; this covers gunicorn's own
    handlers, which log before Django has set up logging (and in the master process)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
