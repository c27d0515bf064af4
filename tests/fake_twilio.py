"""A fake of Twilio's Messages API on loopback, speaking its wire format: what the `twilio` package posts
(form fields, HTTP basic auth with the account SID and auth token) and what Twilio answers (201 with the
message as JSON, or an error body with Twilio's numeric code).

Tests point TWILIO_API_URL at it; nothing of ours is patched.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token-for-tests"
FROM_NUMBER = "+16125550100"


@dataclass
class FakeTwilio:
    """Answers each POST with the next scripted (status, Twilio error code), then 201s."""

    script: list[tuple[int, int]] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def __enter__(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {name: values[-1] for name, values in parse_qs(body).items()}
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth.removeprefix("Basic ")).decode() if auth else ""
                fake.requests.append({"path": self.path, "form": form, "auth": user})
                status, code = fake.script.pop(0) if fake.script else (201, 0)
                sid = f"SM{len(fake.requests):032d}"
                answer = (
                    {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")}
                    if status == 201
                    else {"code": code, "message": "scripted failure", "status": status}
                )
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def texts(self) -> list[dict]:
        return [request["form"] for request in self.requests]


def use_fake(settings, fake: FakeTwilio) -> None:
    settings.SMS_BACKEND = "reports.sms.TwilioBackend"
    settings.TWILIO_API_URL = fake.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
