"""A worker is killed (SIGKILL) after the mail relay accepted its message and before the row was marked done.

Email is at-least-once: the row's lease runs out and the sweeper sends the message again. The lease for an
email is short, so the resident is not kept waiting minutes, and both copies carry the same Message-ID,
derived from the outbox row, so the relay and the resident's mail client can tell it is one message.
Hand-offs are not retried this way while a slow delivery may still be running (their lease covers the
client's timeouts), and Traffic Control deduplicates them by webhook-id (test_delivery_guarantees.py).
"""

from __future__ import annotations

import hashlib
import time

import pytest

from . import test_faults_database as faults
from .conftest import wait_for
from .test_faults_database import RedisServer, file_over_http, portal_environment, report_on, tracking_numbers

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

# The shared fixtures: the private PostgreSQL, the processes a test starts, the mail relay.
postgres, processes, relay = faults.postgres, faults.processes, faults.relay


def expected_message_id(pg, name: str, tracking_number: str) -> str:
    (pk, dedupe_key), *_ = pg.execute(
        name,
        "SELECT o.id, o.dedupe_key FROM reports_outboxmessage o JOIN reports_report r ON r.id = o.report_id "
        "WHERE r.tracking_number = %s AND o.kind = 'email'",
        (tracking_number,),
    )
    return f"<outbox-{pk}.{hashlib.sha256(dedupe_key.encode()).hexdigest()[:12]}@311.example.org>"


@pytest.mark.worker
def test_it_sends_a_killed_workers_email_again_soon_and_as_the_same_message(
    postgres, processes, relay, catalog, tmp_path
):
    pg, name = postgres
    with RedisServer() as redis:
        # Every OUTBOX_* setting keeps its default: the point is how long the default lease is.
        env = portal_environment(
            tmp_path / "var",
            pg.url(name),
            CELERY_BROKER_URL=redis.url(0),
            **relay.environment(),
        )
        web = processes.gunicorn(env)
        first = processes.worker(env)
        processes.beat(env)
        relay.hold_quit.set()  # the relay accepts the message, then keeps the worker waiting
        filing = file_over_http(web.url)
        assert filing.filed, report_on("filing", [filing])
        assert wait_for(relay.holding.is_set, timeout=90), "the worker never sent the confirmation"

        first.kill()  # kill -9: the relay has the message, the row is still claimed
        killed = time.monotonic()
        relay.hold_quit.clear()
        relay.release.set()
        processes.worker(env)
        (number,) = tracking_numbers(pg, name)
        assert wait_for(lambda: len(relay.about(number)) >= 2, timeout=150), (
            "the killed worker's email was not sent again within two and a half minutes"
        )
        resent = relay.about(number)[1].at - killed
        row = "SELECT state, attempts FROM reports_outboxmessage WHERE kind = 'email'"
        assert wait_for(lambda: pg.execute(name, row) == [("done", 2)], timeout=60), pg.execute(name, row)

    print(f"killed while sending: the confirmation went out again {resent:.1f} s after the kill")
    copies = relay.about(number)
    assert len(copies) == 2
    message_id = expected_message_id(pg, name, number)
    assert [str(copy.message["message-id"]) for copy in copies] == [message_id, message_id]
