"""A status-link token is the key to a resident's report: it is in no log line and in no database column.

Each email and confirmation page mints its own token and only its SHA-256 is stored; every log line goes
through one redacting handler (settings.LOGGING), gunicorn's access log included.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from reports.models import Report
from reports.redaction import RedactStatusTokens

from . import samples
from .flows import copies_made, file_report, status_token

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def written_log_lines():
    """What the configured console handler writes, as it writes it (after its filters)."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactStatusTokens) for f in handler.filters)
    ]
    assert handlers, "the console handler must carry the redaction filter"
    buffer = io.StringIO()
    previous = [handler.setStream(buffer) for handler in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


def columns_containing(text: str) -> list[str]:
    """Every table.column whose value, read as text, contains `text`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608 (names from introspection)
                    f"WHERE CAST({name} AS TEXT) LIKE %s",
                    [f"%{text}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


@pytest.mark.django_db
def test_it_leaves_the_token_in_no_log_line_and_no_column(client, catalog):
    with written_log_lines() as log:
        photo = samples.upload("door.jpg", samples.jpeg_bytes(), "image/jpeg")
        assert file_report(client, "theft-from-vehicle", files=[photo]).status_code == 302
        copies_made()
        token = status_token(client)
        report = Report.objects.get()
        assert client.get(reverse("report-status", args=[token])).status_code == 200
        evidence = report.evidence.get()
        thumb = reverse("report-status-evidence", args=[token, evidence.public_id, "thumb"])
        assert client.get(thumb).status_code == 200
        assert client.get(reverse("report-status-pdf", args=[token])).status_code == 404  # not approved
        # Without the CSRF token, a reply is refused, and django.security.csrf logs the path.
        forged = Client(enforce_csrf_checks=True)
        reply = reverse("report-status-reply", args=[token])
        assert forged.post(reply, {"text": "hi"}, HTTP_REFERER=f"http://x{reply}").status_code == 403
        # With it, the reply goes through (the report is not waiting for one: a message says so).
        assert client.post(reply, {"text": "hi"}).status_code == 302
        # A mistyped link is a 404, which django.request logs with its path.
        assert client.get(reverse("report-status", args=[token[:-2] + "zz"])).status_code == 404

    written = log.getvalue()
    assert "/status/[redacted]" in written and "Forbidden (CSRF" in written
    assert token not in written and token[:-2] not in written
    assert columns_containing(token) == []
    for session in Session.objects.all():
        assert token not in json.dumps(session.get_decoded(), default=str)


def test_it_redacts_extras_and_tracebacks_in_json_lines():
    token = "k" * 32
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Error: %s", (f"/status/{token}/",), None
    )
    try:
        raise ValueError(f"while reading /status/{token}/reply/")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.request = f"<WSGIRequest: POST '/status/{token}/reply/'>"

    assert RedactStatusTokens().filter(record)
    line = JsonFormatter("%(levelname)s %(name)s %(message)s").format(record)

    assert token not in line
    assert json.loads(line)["request"] == "<WSGIRequest: POST '/status/[redacted]/reply/'>"
    assert "ValueError: while reading /status/[redacted]/reply/" in json.loads(line)["exc_info"]


# --- gunicorn, as deployed -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_gunicorn_writes_its_access_log_with_the_token_redacted(tmp_path, log_format):
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "LOG_FORMAT": log_format,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    env.pop("DATABASE_URL", None)  # a database of its own, in tmp_path
    python = Path(sys.executable)
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):  # as a deployment does
        subprocess.run([python, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True)
    gunicorn = python.parent / "gunicorn"
    log_file = tmp_path / "gunicorn.log"  # a file, not a pipe: a pipe nobody reads fills and stalls it
    server = subprocess.Popen(
        [gunicorn, "portal.wsgi", "--config", "portal/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log_file.open("w"),
        stderr=subprocess.STDOUT,
    )
    token = "t" * 32
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(
                    f"http://127.0.0.1:{port}/status/{token}/",
                    headers={"Referer": f"http://example.org/status/{token}/reply/"},
                    timeout=60,  # a busy machine: the first request waits for the worker to load
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
        output = log_file.read_text()

    access = [line for line in output.splitlines() if "GET /status/" in line]
    assert access, output[-3000:]  # the access log is written, not dropped
    assert token not in output
    assert "/status/[redacted]/reply/" in access[0]  # the referer, too
    if log_format == "json":
        assert json.loads(access[0])["logger"] == "gunicorn.access"
