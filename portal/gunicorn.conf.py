"""gunicorn settings; every value can be overridden by the environment variables in .env.example."""

import os

from gunicorn.glogging import Logger
from gunicorn.http import message as gunicorn_http_message

from reports.redaction import redact

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Four threads a worker (gunicorn's gthread class): a request waiting on the database or the disk leaves the
# process to another. Measured with `make bench PARTS=filing` (bench/README.md, "gunicorn's worker class").
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))  # a 15 MB photo over a slow phone connection
accesslog = "-"
# gunicorn's control socket is one file per user: two web instances on a machine would take it from each
# other, and nothing of ours uses it.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Open311 clients poll with every open request id in one GET: FixMyStreet's 1,000 ids, each "ABCD-EFGH%2C",
# are a 12 KB request line, three times gunicorn's default (4094, about 337 ids). 16 KB takes 1,350, and
# matches nginx's large_client_header_buffers (docs/open311.md); anything longer is refused, never 0
# (unlimited). gunicorn silently lowers any value above its MAX_REQUEST_LINE (8190) to it, so that ceiling is
# raised to the same bound; tests/test_open311_long_lists.py runs a real gunicorn to prove 1,000 ids pass.
limit_request_line = 16384
gunicorn_http_message.MAX_REQUEST_LINE = max(gunicorn_http_message.MAX_REQUEST_LINE, limit_request_line)


class RedactingLogger(Logger):
    """The access log never carries a status-link token: not in the request line, not in the referer.

    Django's LOGGING redacts every line written through its handler too; this covers gunicorn's own
    handlers, which log before Django has set up logging (and in the master process)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
