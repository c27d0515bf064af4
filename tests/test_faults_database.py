"""PostgreSQL restarts while residents file: nobody sees Django's bare error, and every report is confirmed.

Real parts only: a PostgreSQL of the test's own (initdb in a temporary folder, on a free port, restarted
with a fast shutdown as pg_ctl restart -m fast does), a private redis-server as the broker, gunicorn, a
Celery worker and beat as processes. The mail relay, being outside our system, is a small SMTP server on
loopback.

The helpers here (the private PostgreSQL and Redis, gunicorn, beat, a resident's browser over HTTP, the
mail relay) are shared by test_faults_redis.py and test_faults_worker.py.
"""

from __future__ import annotations

import atexit
import email
import email.policy
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings as django_settings
from django.urls import reverse

from . import flows
from .conftest import require, wait_for
from .test_delivery_guarantees import CELERY, Worker
from .test_handoff import free_port, listening

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
REQUEST_TIMEOUT = 60  # a hung request fails the test instead of hanging it; never a timing assertion


def dies_with_the_test(signal_name: str) -> list[str]:
    """A command prefix: the process gets `signal_name` when this one dies, even by SIGKILL or a CI timeout,
    so no server of ours outlives the test run holding a port (setpriv: util-linux)."""
    return ["setpriv", f"--pdeathsig={signal_name}", "--"]


# --- A PostgreSQL of our own ------------------------------------------------------------------------------


class PrivatePostgres:
    """One cluster per test session, in a temporary folder. The server runs as the postgres OS user (it
    refuses root), as a child of this process, so a restart is exactly what pg_ctl restart -m fast does."""

    def __init__(self):
        require(bool(PG_BINS), "PostgreSQL's server binaries are not installed (Debian package postgresql)")
        self.bin = PG_BINS[-1].parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.folder / "data"
        self.folder.chmod(0o755)
        shutil.chown(self.folder, "postgres")
        initdb = [self.bin / "initdb", "-D", self.data, "-U", "portal", "--auth=trust", "-E", "UTF8"]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, initdb)], check=True, capture_output=True
        )
        self.process: subprocess.Popen | None = None
        atexit.register(self.destroy)
        self.start()

    def start(self) -> None:
        command = [
            *["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=QUIT", "--"],
            *[str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port)],
            *["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}"],
            # A test's data, not the city's: nothing is worth an fsync.
            *["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        ]
        log = (self.folder / "postgres.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        assert wait_for(self.accepts, timeout=60), (self.folder / "postgres.log").read_text()[-2000:]

    def accepts(self) -> bool:
        try:
            psycopg.connect(self.url("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def stop(self, signal_number: int = signal.SIGINT) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: every session is ended at once, as a failover or a package
        # upgrade does (pg_ctl stop -m fast).
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal_number)
            self.process.wait(timeout=60)

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, name: str) -> str:
        return f"postgres://portal@127.0.0.1:{self.port}/{name}"

    def execute(self, name: str, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url(name), autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []


class RedisServer:
    """A redis-server of the test's own on a free port, which the test may kill and start again (empty, on
    the same port) or freeze (SIGSTOP: its sockets stay open and nothing answers)."""

    def __init__(self):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        require(Path(binary).exists(), "redis-server is not installed (Debian package redis-server)")
        self.port = free_port()
        self.command = [
            *dies_with_the_test("KILL"),
            *[binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        ]
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        assert wait_for(lambda: listening(self.port), timeout=20), "redis-server did not start"

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen one, too
            self.process.kill()
            self.process.wait(timeout=20)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()


_cluster: dict[str, PrivatePostgres] = {}
TEMPLATE = "portal_template"
STAFF_USERNAME, STAFF_PASSWORD = "supervisor", "a-long-test-password"


def private_postgres() -> PrivatePostgres:
    """The session's cluster, with a migrated and seeded template database to copy for each test."""
    if "pg" not in _cluster:
        pg = PrivatePostgres()
        pg.execute("postgres", f"CREATE DATABASE {TEMPLATE}")
        env = {**clean_environment(), "DATABASE_URL": pg.url(TEMPLATE), "VAR_DIR": str(pg.folder / "var")}
        env["DJANGO_SUPERUSER_PASSWORD"] = STAFF_PASSWORD
        staff = ["createsuperuser", "--noinput", "--username", STAFF_USERNAME, "--email", "staff@example.org"]
        for command in (["migrate", "--noinput"], ["seed"], staff):
            subprocess.run([PYTHON, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True)
        _cluster["pg"] = pg
    return _cluster["pg"]


@pytest.fixture
def postgres(request) -> tuple[PrivatePostgres, str]:
    """The private cluster and a fresh copy of the seeded database for this test."""
    pg = private_postgres()
    name = f"faults_{request.node.name[:40].lower().replace('[', '_').replace(']', '')}"
    pg.execute("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg.execute("postgres", f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield pg, name
    pg.execute("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- Processes: gunicorn, Celery ---------------------------------------------------------------------------


def clean_environment() -> dict:
    """This process's environment without the services CI points the suite at: the test picks its own."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_BACKEND", "OUTBOX_SWEEP_SECONDS"):
        env.pop(name, None)
    for name in [name for name in env if name.startswith(("OUTBOX_", "REDIS_"))]:
        env.pop(name)
    return env


def portal_environment(var_dir: Path, database_url: str, **extra: str) -> dict:
    """What web, worker and beat share: one database, one VAR_DIR, the mail relay, the defaults otherwise."""
    return {
        **clean_environment(),
        "VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(django_settings.STATIC_ROOT),  # collected once for the session (conftest)
        "DATABASE_URL": database_url,
        # Every resident in these tests files from 127.0.0.1: the limits must not be what stops them.
        "FILING_RATE": "100000/h",
        "FILING_STEP_RATE": "100000/h",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


class Gunicorn:
    """The web server as deployed (portal/gunicorn.conf.py), on a free port."""

    def __init__(self, env: dict, log: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers), "WEB_THREADS": "1"}
        self.process = subprocess.Popen(
            [
                *dies_with_the_test("TERM"),
                PYTHON.parent / "gunicorn",
                "portal.wsgi",
                "--config",
                "portal/gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_ready(self) -> None:
        assert wait_for(self.answers, timeout=90), f"gunicorn did not start:\n{self.output()}"
        assert self.process.poll() is None, f"gunicorn stopped:\n{self.output()}"

    def answers(self) -> bool:
        if self.process.poll() is not None:
            return True  # it died: the assertion above shows why
        try:
            requests.get(self.url + "/healthz", timeout=5)
            return True
        except requests.RequestException:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


class Beat:
    """`celery beat` as deployed: it sends the sweeper and the heartbeat on their schedule."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        schedule = log.with_suffix(".schedule")
        self.process = subprocess.Popen(
            [*dies_with_the_test("TERM"), CELERY, "--app", "portal", "beat", "--loglevel", "WARNING"]
            + ["--schedule", schedule],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


class CeleryWorker(Worker):
    """test_delivery_guarantees' worker (solo pool: kill -9 stops the task in its tracks), which also dies
    with the test run."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [*dies_with_the_test("KILL"), CELERY, "--app", "portal", "worker", "--pool", "solo"]
            + ["--loglevel", "WARNING", "--hostname", f"{log.stem}@%h"]
            + ["--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Worker.kill signals the whole group
        )


class Processes:
    """Everything a test started, stopped at the end whatever happened, with their logs shown."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.started: list = []

    def gunicorn(self, env: dict, workers: int = 2) -> Gunicorn:
        server = Gunicorn(env, self.tmp_path / f"gunicorn{len(self.started)}.log", workers)
        self.started.append(server)  # before waiting: stopped at the end even if it never answers
        server.wait_until_ready()
        return server

    def worker(self, env: dict) -> Worker:
        worker = CeleryWorker(env, self.tmp_path / f"worker{len(self.started)}.log")
        self.started.append(worker)
        return worker

    def beat(self, env: dict) -> Beat:
        beat = Beat(env, self.tmp_path / f"beat{len(self.started)}.log")
        self.started.append(beat)
        return beat

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()
        for process in self.started:  # shown by pytest when the test failed
            print(f"--- {process.log.name}\n{process.log.read_text(errors='replace')[-4000:]}")


@pytest.fixture
def processes(tmp_path):
    running = Processes(tmp_path)
    yield running
    running.stop_all()


# --- A resident's browser ---------------------------------------------------------------------------------


class Browser:
    """A resident's browser against a real server, shaped like Django's test client for tests/flows.py:
    it keeps its cookies, sends the CSRF token with each form, follows no redirect."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)

    def post(self, path: str, data: dict) -> requests.Response:
        if "csrftoken" not in self.session.cookies:
            self.get(path)  # the form's page sets the cookie, as it does for a person
        data = {**data, "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", "")}
        return self.session.post(
            self.base_url + path, data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )


@dataclass
class Step:
    name: str
    status: int | None  # None: no answer at all (the connection failed or timed out)
    seconds: float
    body: str = ""

    @property
    def bare_error(self) -> bool:
        """Django's or gunicorn's own error text instead of our page: what a resident must never see."""
        return self.status is None or (self.status >= 400 and not designed_error_page(self.body))


# Django's and gunicorn's own error pages: one line, no way forward.
BARE_TEXTS = ("Server Error (500)", "Internal Server Error", "Bad Request (400)", "403 Forbidden")


def designed_error_page(body: str) -> bool:
    # Ours (templates/errors/) say what happened in the resident's language and name the numbers to call.
    return "311" in body and not any(text in body for text in BARE_TEXTS)


def timed(name: str, call) -> Step:
    started = time.monotonic()
    try:
        response = call()
    except requests.RequestException as exc:
        return Step(name, None, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
    return Step(name, response.status_code, time.monotonic() - started, response.text)


@dataclass
class Filing:
    """One resident filing one report, step by step, as the browser saw it."""

    steps: list[Step] = field(default_factory=list)

    @property
    def filed(self) -> bool:
        return bool(self.steps) and self.steps[-1].name == "send" and self.steps[-1].status == 302

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


def file_over_http(
    base_url: str, subtype_code: str = "damage-graffiti", *, details: dict | None = None, retries: int = 0
) -> Filing:
    """Walk the filing steps; after an error page, press the same button again (up to `retries` times),
    as a resident told "please try again" does. Their earlier steps are kept by the server.

    `details` is the details form's data (tests/flows.py), read from the test database: a thread other than
    the test's cannot see its seeded catalog, so threads are given it."""
    browser, filing = Browser(base_url), Filing()
    details = details or flows.details_for(subtype_code)
    steps = (
        ("eligibility", lambda: flows.pass_screen(browser, subtype_code)),
        ("details", lambda: browser.post(reverse("report-details"), details)),
        ("send", lambda: flows.send(browser)),
    )
    for name, post in steps:
        for attempt in range(retries + 1):
            step = timed(name, post)
            filing.steps.append(step)
            if step.status == 302:
                break
            if attempt < retries:
                time.sleep(1)
        if filing.steps[-1].status != 302:
            break
    return filing


# --- The mail relay ---------------------------------------------------------------------------------------


@dataclass
class Received:
    message: email.message.EmailMessage
    at: float  # time.monotonic() when the relay accepted it


class SmtpRelay:
    """A mail relay on loopback speaking just enough SMTP for Django's backend. It accepts every message;
    with `hold_quit` set, it keeps the client waiting for its answer to QUIT after accepting a message (the
    moment a worker is between "the relay has it" and "marked done")."""

    def __init__(self):
        self.received: list[Received] = []
        self.hold_quit = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        relay = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self):
                relay.converse(self)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> SmtpRelay:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def environment(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
        }

    def converse(self, session: socketserver.StreamRequestHandler) -> None:
        def say(line: str) -> None:
            session.wfile.write(f"{line}\r\n".encode())

        say("220 relay.test ESMTP")
        accepted = False
        while line := session.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "DATA":
                say("354 go ahead")
                self.keep(self.read_data(session))
                accepted = True
                say("250 accepted")
            elif verb == "QUIT":
                if accepted and self.hold_quit.is_set():
                    self.holding.set()
                    self.release.wait(120)
                say("221 bye")
                return
            else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                say("250 ok")

    @staticmethod
    def read_data(session: socketserver.StreamRequestHandler) -> bytes:
        lines = []
        while (line := session.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)

    def keep(self, data: bytes) -> None:
        message = email.message_from_bytes(data, policy=email.policy.default)
        self.received.append(Received(message, time.monotonic()))

    def about(self, tracking_number: str) -> list[Received]:
        return [mail for mail in self.received if tracking_number in str(mail.message["subject"])]


@pytest.fixture
def relay():
    with SmtpRelay() as running:
        yield running


def tracking_numbers(pg: PrivatePostgres, name: str) -> list[str]:
    return [row[0] for row in pg.execute(name, "SELECT tracking_number FROM reports_report ORDER BY id")]


def all_confirmed(pg: PrivatePostgres, name: str, relay: SmtpRelay) -> bool:
    return all(relay.about(number) for number in tracking_numbers(pg, name))


# --- The test ----------------------------------------------------------------------------------------------

RESIDENTS = 4
FILINGS_EACH = 4


def confirmations(pg: PrivatePostgres, name: str, relay: SmtpRelay) -> dict[str, list[Received]]:
    return {number: relay.about(number) for number in tracking_numbers(pg, name)}


def report_on(title: str, filings: list[Filing]) -> list[Step]:
    steps = [step for filing in filings for step in filing.steps]
    errors = [step for step in steps if step.status != 302]
    bare, slowest = sum(step.bare_error for step in errors), max(step.seconds for step in steps)
    print(
        f"{title}: {len(filings)} filings, {len(steps)} steps, {len(errors)} error pages ({bare} bare), "
        f"slowest step {slowest:.2f} s"
    )
    for step in errors:
        print(
            f"  {step.name}: {step.status} after {step.seconds:.2f} s: {' '.join(step.body.split())[:160]!r}"
        )
    return errors


@pytest.mark.worker
def test_it_files_and_confirms_through_a_postgresql_restart(postgres, processes, relay, catalog, tmp_path):
    pg, name = postgres
    with RedisServer() as redis:
        env = portal_environment(
            tmp_path / "var",
            pg.url(name),
            CELERY_BROKER_URL=redis.url(0),
            **relay.environment(),
        )
        web = processes.gunicorn(env)
        processes.worker(env)
        processes.beat(env)
        # Both web workers and the Celery worker now hold connections that a restart leaves stale.
        warm = [file_over_http(web.url) for _ in range(4)]
        assert all(filing.filed for filing in warm), report_on("warming up", warm)
        assert wait_for(lambda: all(confirmations(pg, name, relay).values()), timeout=90)

        # 1. Restarted between two clicks: the next request on each stale connection must just work.
        started = time.monotonic()
        pg.restart()
        print(f"PostgreSQL restart (a fast shutdown, then start) took {time.monotonic() - started:.2f} s")
        between = [file_over_http(web.url) for _ in range(4)]
        assert not report_on("after a restart between clicks", between), (
            "a stale connection reached a resident"
        )

        # 2. Restarted while residents are mid-form: whoever is caught in the gap gets our page, presses
        # the button again, and files once.
        during: list[Filing] = []
        go = threading.Event()

        details = flows.details_for("damage-graffiti")

        def resident() -> None:
            go.wait()
            for _ in range(FILINGS_EACH):
                during.append(file_over_http(web.url, details=details, retries=5))

        residents = [threading.Thread(target=resident) for _ in range(RESIDENTS)]
        for thread in residents:
            thread.start()
        go.set()
        time.sleep(0.5)
        started = time.monotonic()
        pg.restart()
        print(f"PostgreSQL restart during filing took {time.monotonic() - started:.2f} s")
        for thread in residents:
            thread.join(timeout=600)
        errors = report_on("restarted while residents file", during)
        bare = [step for step in errors if step.bare_error]
        assert not [step for step in bare if step.status != 400], "a resident saw a bare error"
        # A session that cannot be saved mid-restart is Django's SessionInterrupted: a 400, shown with
        # Django's bare page until the portal has a designed one (handler400). Failed once that page exists.
        if hasattr(import_module(django_settings.ROOT_URLCONF), "handler400"):
            assert not bare, "a resident saw Django's bare 400 page"
        elif bare:
            print("NOTE: Django's bare 400 page reached a resident (SessionInterrupted): no handler400 yet")
        assert all(filing.filed for filing in during), "a resident could not file even after trying again"

        filed = warm + between + during
        assert len(tracking_numbers(pg, name)) == len(filed)  # a Send pressed again filed once
        started = time.monotonic()
        assert wait_for(lambda: all(confirmations(pg, name, relay).values()), timeout=180), (
            "a confirmation never went out"
        )
        sent = confirmations(pg, name, relay)
        print(
            f"every confirmation out {time.monotonic() - started:.1f} s after the last filing; "
            f"{sum(len(copies) > 1 for copies in sent.values())} sent twice"
        )
        for copies in sent.values():  # at least once; a copy sent again is recognisably the same message
            assert len({str(copy.message["message-id"]) for copy in copies}) == 1
