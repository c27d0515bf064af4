"""What stands in for the city's mail server and Traffic Control's dispatch system, on loopback.

Run with the job's own tools (aiosmtpd, standardwebhooks), never the portal's virtualenv:

    python fakes.py smtp PORT CERT KEY RECORD      STARTTLS and AUTH required, as a city relay would
    python fakes.py receiver PORT SECRET RECORD    verifies every delivery's signature

Each records everything that arrives, one JSON object a line in RECORD, duplicates included: the job
counts them.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WRITE_LOCK = threading.Lock()


def record(path: Path, entry: dict) -> None:
    with WRITE_LOCK, path.open("a") as out:
        out.write(json.dumps(entry) + "\n")


def serve_smtp(port: int, cert: str, key: str, path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    # aiosmtpd warns about its own use of a deprecated attribute on every AUTH: noise in the job's log.
    warnings.filterwarnings("ignore", message="Session.login_data is deprecated")

    logins: dict[int, dict] = {}

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        # Any login is accepted; the job checks that the password arrived whole.
        logins[id(session)] = {"login": auth_data.login.decode(), "password": auth_data.password.decode()}
        return AuthResult(success=True)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            entry = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "auth": logins.get(id(session)),
                "data": base64.b64encode(envelope.original_content or envelope.content).decode(),
            }
            record(path, entry)
            return "250 OK"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    print(f"smtp listening on 127.0.0.1:{port}", flush=True)
    while True:
        time.sleep(3600)


def serve_receiver(port: int, secret: str, path: Path) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                payload = Webhook(secret).verify(body, dict(self.headers))
                verified = True
            except (WebhookVerificationError, ValueError):
                payload, verified = json.loads(body or b"{}"), False
            entry = {
                "path": self.path,
                "webhook_id": self.headers.get("webhook-id"),
                "verified": verified,
                "type": payload.get("type"),
                "ticket_id": payload.get("data", {}).get("ticket_id"),
                "payload": payload,
            }
            record(path, entry)
            self.send_response(200 if verified else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    print(f"receiver listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    kind, port, *rest = sys.argv[1:]
    if kind == "smtp":
        serve_smtp(int(port), rest[0], rest[1], Path(rest[2]))
    else:
        serve_receiver(int(port), rest[0], Path(rest[1]))
