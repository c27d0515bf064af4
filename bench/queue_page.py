"""`make bench`, the staff queue page: 100,000 reports on PostgreSQL, the first page and a deep one.

A fresh database gets the catalog, the demo accounts and 100,000 reports spread over both queues, every
type and status and 180 days. gunicorn (2 workers) serves the page to 8 concurrent clients signed in
as the demo supervisor: requests per second, p50 and p95 for the first page of the theft and damage
queue and for the page 10,000 rows deep (open reports, then every status), beside one client alone,
the SQL queries each page runs (counted in-process on the same database), the index it reads, and
PostgreSQL's own time for the page's rows, beside what OFFSET would cost for the same page.

Not named queue.py: run.py is started as a script, so this folder comes first on sys.path and a
queue.py here would stand in for the standard library's `queue` (which ThreadPoolExecutor needs).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import run  # noqa: E402

DATABASE = "portal_bench_queue"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REPORTS = int(os.environ.get("BENCH_QUEUE_REPORTS", "100000"))
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "400"))
ALONE = 50  # requests one client makes by itself: the page's own time, without waiting for a worker
# The CPU one page costs the web process: pages served in-process, in batches; the median batch is
# printed (one batch of 30 varied by a third from run to run on this machine).
CPU_PAGES, CPU_BATCHES = 40, 7
DEPTH = 10_000
PAGE_SIZE = 50
QUEUE = "theft-damage"
PORT = 8713
PASSWORD = "demo-pass-311"  # seeds/staff.json's demo password
SCENARIOS = [  # (name, status filter, rows deep)
    ("open, first page", "open", 0),
    (f"open, {DEPTH:,} rows deep", "open", DEPTH),
    ("all statuses, first page", "all", 0),
    (f"all statuses, {DEPTH:,} deep", "all", DEPTH),
]


def main() -> None:
    if not fresh_database():
        return
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as var_dir:
        env = run.server_env(Path(var_dir), PORT, DATABASE_URL)
        run.manage(env, "migrate", "--noinput")
        run.manage(env, "seed", "--demo")
        run.manage(env, "collectstatic", "--noinput")
        started = time.perf_counter()
        django_side(env, "fill")
        filled = time.perf_counter() - started
        probes = json.loads(django_side(env, "probe"))
        with gunicorn(env) as base:
            cookies = sign_in(base)
            results = [measure(base, cookies, probe) for probe in probes]
            ceiling = bare_gets(base, cookies)
    print_table(results, filled, ceiling)


def fresh_database() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            conn.execute(f"CREATE DATABASE {DATABASE}")
        return True
    except Exception as exc:
        print(f"(PostgreSQL not reachable, queue page bench skipped: {exc})")
        return False


def django_side(env: dict, command: str) -> str:
    """Run one of the in-Django steps below in a child process on the bench database."""
    done = subprocess.run(
        [run.BIN / "python", "-m", "bench.queue_page", command],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"bench/queue_page.py {command} failed:\n{done.stderr[-4000:]}")
    return done.stdout


# --- Over HTTP ------------------------------------------------------------------------------------------


@contextmanager
def gunicorn(env: dict) -> Iterator[str]:
    """run.py's server: same config file, 2 workers, the same patient wait for its first answer."""
    with run.gunicorn(env, PORT) as (base, _master):
        yield base


def sign_in(base: str) -> dict:
    session = requests.Session()
    session.get(f"{base}/staff/login/")
    response = session.post(
        f"{base}/staff/login/",
        {"username": "supervisor", "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]
    # The second factor: one of the demo backup codes `manage.py seed --demo` gives every account.
    response = session.post(
        f"{base}/staff/2fa/",
        {"code": "311311", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]
    return session.cookies.get_dict()


def fetch(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (response.status_code, response.text[:500])
    assert response.text.count('<th scope="row">') == PAGE_SIZE, "not a full page of reports"
    return elapsed


def measure(base: str, cookies: dict, probe: dict) -> dict:
    url = f"{base}/staff/queues/{QUEUE}/?{probe['query']}"

    def client() -> requests.Session:
        session = requests.Session()
        session.cookies.update(cookies)
        return session

    alone = client()
    for _ in range(10):  # warm the worker's caches and connections
        fetch(alone, url)
    one = sorted(fetch(alone, url) for _ in range(ALONE))
    sessions = [client() for _ in range(run.CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(run.CLIENTS) as pool:
        latencies = sorted(pool.map(lambda n: fetch(sessions[n % run.CLIENTS], url), range(REQUESTS)))
    elapsed = time.perf_counter() - started
    return {
        **probe,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "alone_p50_ms": statistics.median(one) * 1000,
    }


def bare_gets(base: str, cookies: dict) -> float:
    """The same server's bare GET (bench/urls.py) with the supervisor's session, 8 clients: per second."""
    sessions = [requests.Session() for _ in range(run.CLIENTS)]
    for session in sessions:
        session.cookies.update(cookies)

    def get(n: int) -> None:
        assert sessions[n % run.CLIENTS].get(f"{base}/bench/bare-get/").status_code == 200

    for n in range(run.CLIENTS * 5):
        get(n)
    started = time.perf_counter()
    with ThreadPoolExecutor(run.CLIENTS) as pool:
        list(pool.map(get, range(REQUESTS)))
    return REQUESTS / (time.perf_counter() - started)


def print_table(results: list[dict], filled: float, ceiling: float) -> None:
    print(
        f"\nThe queue page ({QUEUE}, {PAGE_SIZE} rows a page) over {REPORTS:,} reports on PostgreSQL "
        f"(inserted in {filled:.0f} s); gunicorn 2 workers, {run.CLIENTS} clients, {REQUESTS} requests each\n"
    )
    print(
        f"{'page':<28}{'req/s':>7}{'of bare':>8}{'p50 ms':>8}{'p95 ms':>8}{'alone p50':>11}{'CPU ms':>8}"
        f"{'queries':>9}{'SQL ms':>8}  index read"
    )
    for r in results:
        print(
            f"{r['name']:<28}{r['per_second']:>7.1f}{r['per_second'] / ceiling:>8.0%}{r['p50_ms']:>8.1f}"
            f"{r['p95_ms']:>8.1f}{r['alone_p50_ms']:>11.1f}{r['cpu_ms']:>8.1f}{r['queries']:>9}{r['sql_ms']:>8.2f}"
            f"  {r['index']}"
        )
    print(f"{'bare GET (the ceiling)':<28}{ceiling:>7.1f}{1:>8.0%}")
    for first, deep in zip(results[::2], results[1::2], strict=True):
        print(
            f"{deep['name']}: p95 {deep['p95_ms'] / first['p95_ms']:.2f}× the first page's; "
            f"its rows query takes {deep['sql_ms']:.2f} ms, {deep['offset_ms']:.2f} ms with OFFSET instead"
        )
    print(
        "(alone p50: one client by itself, so no waiting for a free worker; CPU ms: the web process's CPU "
        f"for one page, the median of {CPU_BATCHES} batches of {CPU_PAGES} served in-process (aim: 8 ms or "
        "less); SQL ms: PostgreSQL's own time for the page's rows query, EXPLAIN ANALYZE, the median of 7)"
    )


# --- Inside Django, on the bench database -------------------------------------------------------------


def fill() -> None:
    """REPORTS rows in batches: old ones mostly decided, recent ones mostly open, as a real queue looks."""
    import random
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from reports.models import TRACKING_ALPHABET, Report, ReportType
    from reports.statuses import OPEN_STATUSES, Status
    from tests.factories import report_row

    rng = random.Random(311)
    now = timezone.now()
    types = {t.code: (t, list(t.subtypes.all())) for t in ReportType.objects.select_related("queue")}
    staff = {name: User.objects.get(username=name) for name in ("taker", "taker2", "traffic", "supervisor")}
    takers = [staff["taker"], staff["taker2"], staff["supervisor"]]
    streets = ["Nicollet Ave", "E Lake St", "Hennepin Ave", "Cedar Ave S", "Lyndale Ave S", "W Broadway Ave"]
    names = ["Alex Kim", "María López", "Sam Carter", "Lee Vang", "Fartun Ali", "Chris Olson", ""]

    def tracking_number(n: int) -> str:
        digits = "".join(TRACKING_ALPHABET[(n // 30**k) % 30] for k in range(7))
        return f"Z{digits[:3]}-{digits[3:]}"  # Z: apart from the demo reports' numbers

    def one_report(n: int) -> Report:
        code = rng.choices(["theft", "damage", "parking"], weights=[42, 28, 30])[0]
        report_type, subtypes = types[code]
        created = now - timedelta(seconds=rng.uniform(0, 180 * 86400))
        age_days = (now - created).days
        status, assignee = pick_status(code, age_days)
        return report_row(
            rng.choice(subtypes),
            tracking_number=tracking_number(n),
            case_number=f"MB{n:08d}" if status == Status.APPROVED else None,
            status=status,
            channel=rng.choices(["web", "phone"], weights=[8, 2])[0],
            occurred_from=created - timedelta(hours=rng.uniform(0, 48)),
            address=f"{rng.randint(100, 4999)} {rng.choice(streets)}",
            contact_name=rng.choice(names),
            contact_email=f"resident{n}@example.org",
            vehicle_plate=f"{rng.randint(100, 999)}{rng.choice('ABCDEFGH')}{rng.choice('KLMNPR')}"
            if code == "parking"
            else "",
            assignee=assignee,
            resident_updated_at=created + timedelta(hours=1) if rng.random() < 0.05 else None,
            closed_at=created + timedelta(hours=rng.uniform(1, 72)) if status not in OPEN_STATUSES else None,
            created_at=created,
        )

    def pick_status(code: str, age_days: int) -> tuple[str, User | None]:
        if code == "parking":
            if age_days < 2 and rng.random() < 0.8:
                return rng.choice([Status.SUBMITTED, Status.DISPATCHED, Status.ON_SCENE]), staff["traffic"]
            if rng.random() < 0.03:
                return Status.SUBMITTED, None
            return rng.choices([Status.RESOLVED, Status.CLOSED], weights=[9, 1])[0], staff["traffic"]
        if rng.random() < (0.9 if age_days < 14 else 0.25):
            status = rng.choices([Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO], weights=[5, 3, 2])[
                0
            ]
            return status, None if status == Status.SUBMITTED else rng.choice(takers)
        decided = [Status.APPROVED, Status.REJECTED, Status.REFERRED, Status.CLOSED]
        return rng.choices(decided, weights=[5, 2, 2, 1])[0], rng.choice(takers)

    for start in range(0, REPORTS, 5000):
        Report.objects.bulk_create([one_report(n) for n in range(start, min(start + 5000, REPORTS))])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_report")  # as autovacuum would have by the time staff look


def probe() -> None:
    """For each scenario: its query string (with the cursor DEPTH rows in), SQL queries and index."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.utils.http import urlencode

    from reports import queries
    from reports.models import Queue
    from tests.conftest import sign_in as sign_in_with_both_steps

    supervisor = User.objects.get(username="supervisor")
    queue = Queue.objects.get(code=QUEUE)
    browser = Client(HTTP_HOST="127.0.0.1")
    sign_in_with_both_steps(browser, supervisor)
    found = []
    for name, status, depth in SCENARIOS:
        filters = queries.QueueFilters(status=status)
        params = {"status": status}
        reports = queries.queue_reports(queue, filters, user=supervisor)
        # What the same page would cost read with OFFSET instead of the cursor, for comparison.
        offset_ms = execution_ms(reports[depth : depth + PAGE_SIZE + 1])
        if depth:
            last = reports[depth - 1]  # the last row of the pages before it
            params["cursor"] = queries.encode_cursor(filters.sort, last.created_at, last.pk)
            page = queries.queue_page(queue, filters, user=supervisor, cursor=params["cursor"])
            expected = [report.pk for report in reports[depth : depth + PAGE_SIZE]]
            assert [row.pk for row in page.rows] == expected, "the cursor is not DEPTH rows in"
            reports = reports.filter(
                queries.after_row("created_at", last.created_at, last.pk, newest_first=False)
            )
        url = f"/staff/queues/{QUEUE}/?{urlencode(params)}"
        assert browser.get(url).status_code == 200
        ran = []
        with connection.execute_wrapper(counting(ran)):
            assert browser.get(url).status_code == 200
        cpu_ms = statistics.median(page_cpu_ms(browser, url) for _ in range(CPU_BATCHES))
        plan = reports[: PAGE_SIZE + 1].explain()
        index = re.search(r"Index (?:Only )?Scan(?: Backward)? using (\w+)", plan)
        found.append(
            {
                "name": name,
                "query": urlencode(params),
                "queries": len(ran),
                "index": index.group(1) if index else plan.splitlines()[0],
                "sql_ms": execution_ms(reports[: PAGE_SIZE + 1]),
                "offset_ms": offset_ms,
                "cpu_ms": cpu_ms,
            }
        )
    print(json.dumps(found))


def page_cpu_ms(browser, url: str) -> float:
    started = time.process_time()
    for _ in range(CPU_PAGES):
        browser.get(url)
    return (time.process_time() - started) * 1000 / CPU_PAGES


def counting(ran: list[str]):
    """An execute wrapper that notes each statement the connection runs."""

    def wrapper(execute, sql, *args):
        ran.append(sql)
        return execute(sql, *args)

    return wrapper


def execution_ms(queryset) -> float:
    """PostgreSQL's own time for the query (EXPLAIN ANALYZE), the median of 7 runs."""
    plans = [queryset.explain(analyze=True) for _ in range(7)]
    return statistics.median(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)) for plan in plans)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        import django

        django.setup()
        {"fill": fill, "probe": probe}[sys.argv[1]]()
    else:
        main()
