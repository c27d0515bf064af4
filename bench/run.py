"""`make bench`: what filing costs on a real server, and what the server could do at best.

Side by side on the same gunicorn server (2 workers, 8 concurrent clients), for SQLite and PostgreSQL:
report submissions per second, each with one 200 KB JPEG, against the same server's bare Django POST of a
200 KB file (the ceiling), and their ratio. Then the server's peak memory while one 15 MB photo is filed.
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import samples  # noqa: E402

BIN = ROOT / ".venv" / "bin"
CLIENTS = 8
SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "400"))
SUBTYPE = "parking-double-parked"
PLATES = itertools.count(1)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")


def server_env(var_dir: Path, port: int, database_url: str | None) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "VAR_DIR": str(var_dir),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "FILING_RATE": "1000000/h",
        "FILING_STEP_RATE": "1000000/h",
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def gunicorn(env: dict, port: int):
    process = subprocess.Popen(
        [
            BIN / "gunicorn",
            "portal.wsgi",
            "--config",
            "portal/gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still starting up
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def ready_to_send(base: str) -> requests.Session:
    """A resident's session that has answered the screen and the details, one POST away from filing."""
    session = requests.Session()
    session.get(f"{base}/report/new/{SUBTYPE}/")
    token = session.cookies["csrftoken"]
    answers = {"in_danger": "no", "inside_city": "yes", "csrfmiddlewaretoken": token}
    session.post(f"{base}/report/new/{SUBTYPE}/", answers, allow_redirects=False)
    seen = (datetime.now(ZoneInfo("America/Chicago")) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    details = {
        "csrfmiddlewaretoken": token,
        "occurred_from": seen,
        "address": "350 S 5th St",
        # A plate of its own: the same plate at the same address would be filed as a duplicate of the
        # first, which is not the path being measured.
        "vehicle_plate": f"BN{next(PLATES):05d}",
        "vehicle_state": "MN",
        "q_vehicle-there-now": "yes",
    }
    response = session.post(f"{base}/report/details/", details, allow_redirects=False)
    assert response.status_code == 302, response.text[:2000]
    return session


def send(base: str, session: requests.Session, photo: bytes) -> float:
    started = time.perf_counter()
    response = session.post(
        f"{base}/report/review/",
        # The review page's "Send report" button with the photo chosen on it: one request keeps the file
        # with the draft and files the report.
        {"csrfmiddlewaretoken": session.cookies["csrftoken"], "confirm": "on", "send": "1"},
        files={"files": ("photo.jpg", photo, "image/jpeg")},
        allow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/report/submitted/"), (
        response.status_code,
        response.text[:500],
    )
    return time.perf_counter() - started


def bare_post(base: str, session: requests.Session, photo: bytes) -> float:
    started = time.perf_counter()
    response = session.post(f"{base}/bench/bare-post/", files={"file": ("photo.jpg", photo, "image/jpeg")})
    assert response.status_code == 200
    return time.perf_counter() - started


def measure(work, sessions: list, photo: bytes, base: str) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = list(pool.map(lambda s: work(base, s, photo), sessions))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_memory_for_big_photo(base: str, master: int) -> tuple[float, float, int]:
    photo = samples.big_jpeg_bytes(15 * 1024 * 1024)
    sessions = [ready_to_send(base) for _ in range(2)]
    send(base, sessions[0], samples.jpeg_bytes())  # warm both code paths first
    pids = worker_pids(master)
    baseline = max(memory_kb(pid, "VmRSS") for pid in pids)
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current size
    send(base, sessions[1], photo)
    peak = max(memory_kb(pid, "VmHWM") for pid in pids)
    return baseline / 1024, peak / 1024, len(photo)


def postgres_ready() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            conn.execute("DROP DATABASE IF EXISTS portal_bench")
            conn.execute("CREATE DATABASE portal_bench")
        return True
    except Exception as exc:
        print(f"(PostgreSQL not reachable, skipped: {exc})")
        return False


def bench_backend(name: str, database_url: str | None, port: int, with_memory: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-") as var_dir:
        env = server_env(Path(var_dir), port, database_url)
        manage(env, "migrate", "--noinput")
        manage(env, "seed")
        manage(env, "collectstatic", "--noinput")
        photo = samples.big_jpeg_bytes(200 * 1024)
        with gunicorn(env, port) as (base, master):
            warm = [ready_to_send(base) for _ in range(CLIENTS)]
            measure(send, warm, photo, base)
            sessions = [ready_to_send(base) for _ in range(SUBMISSIONS)]
            filing = measure(send, sessions, photo, base)
            ceiling = measure(bare_post, [requests.Session() for _ in range(SUBMISSIONS)], photo, base)
            memory = peak_memory_for_big_photo(base, master) if with_memory else None
    return {"name": name, "filing": filing, "ceiling": ceiling, "memory": memory}


PARTS = ("filing", "evidence", "queue", "handoff", "flow")


def main() -> None:
    """Every part, or those named: `python bench/run.py filing flow`."""
    parts = sys.argv[1:] or PARTS
    unknown = set(parts) - set(PARTS)
    if unknown:
        sys.exit(f"bench/run.py: no part named {', '.join(sorted(unknown))}; there are {', '.join(PARTS)}")
    if "filing" in parts:
        filing()
    if "evidence" in parts:
        print()
        __import__("bench.evidence_memory", fromlist=["main"]).main()
    if "queue" in parts:
        __import__("bench.queue_page", fromlist=["main"]).main()
    if "handoff" in parts:
        __import__("bench.handoff", fromlist=["main"]).main()
    if "flow" in parts:
        __import__("bench.filing_flow", fromlist=["main"]).main()


def filing() -> None:
    results = [bench_backend("SQLite (WAL)", None, 8711, with_memory=True)]
    if postgres_ready():
        results.append(bench_backend("PostgreSQL", POSTGRES_URL, 8712, with_memory=False))
    print(
        f"\nFiling with one 200 KB JPEG vs a bare Django POST of 200 KB; gunicorn 2 workers of "
        f"{os.environ.get('WEB_THREADS', 'the default')} threads, "
        f"{CLIENTS} clients, {SUBMISSIONS} requests each\n"
    )
    print(
        f"{'database':<14}{'filed/s':>9}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'bare/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'ratio':>8}"
    )
    for r in results:
        f, c = r["filing"], r["ceiling"]
        print(
            f"{r['name']:<14}{f['per_second']:>9.1f}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}"
            f"{c['per_second']:>9.1f}{c['p50_ms']:>8.1f}{c['p95_ms']:>8.1f}"
            f"{f['per_second'] / c['per_second']:>8.0%}"
        )
    baseline, peak, size = results[0]["memory"]
    print(
        f"\nPeak memory of a web worker filing one {size / 1024 / 1024:.1f} MB JPEG: {peak:.0f} MB "
        f"(it held {baseline:.0f} MB before; +{peak - baseline:.0f} MB; the copies are the Celery "
        "worker's, in the evidence table below)"
    )


if __name__ == "__main__":
    main()
