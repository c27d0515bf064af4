"""A Traffic Control receiver for the portal's parking hand-offs: verify, deduplicate, acknowledge.

    pip install standardwebhooks
    TRAFFIC_SECRET=whsec_... python docs/examples/traffic_receiver.py 8090

Point the portal at it with a Traffic endpoint (admin → Traffic endpoints) whose URL is
http://127.0.0.1:8090/ and whose secret is the same whsec_ value.
"""

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the portal sends one hand-off after another on one connection
    secret = os.environ.get("TRAFFIC_SECRET", "")
    seen: dict = {}  # webhook-id -> ticket: a redelivery is acknowledged again, never dispatched twice
    lock = threading.Lock()  # two copies of one delivery may arrive at the same moment

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            payload = Webhook(self.secret).verify(body, dict(self.headers))
        except (WebhookVerificationError, ValueError):
            return self.answer(401)
        message_id = self.headers["webhook-id"]
        with self.lock:
            first_time = message_id not in self.seen
            self.seen.setdefault(message_id, payload["data"])
        if first_time:
            self.dispatch(payload["data"])
        return self.answer(200)

    def dispatch(self, ticket):
        print(f"Send enforcement: {ticket['problem']['name']} at {ticket['location']['address']}", flush=True)

    def answer(self, code):
        self.send_response(code)
        self.send_header("content-length", "0")
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8090
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
