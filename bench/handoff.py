"""`make bench`, the hand-off to Traffic Control: from filing to the receiver's 200.

A fresh SQLite database in a temporary VAR_DIR (migrate, seed), TRAFFIC_HANDOFF=webhook, Celery over the
filesystem broker: the embedded default. One Traffic endpoint points at a receiver on loopback, the
example from docs/examples/traffic_receiver.py, which verifies every signature and notes when it answered
200. A child process files N parking reports one after another through reports.filing (the same service
the form calls) while one, then two `celery worker --pool solo` processes deliver them. Then the workers
find a backlog: N reports filed before they start, solo and with the Procfile's pool (threads x 8), and
again with a receiver that takes 50 ms to answer, as a dispatch system across a network does.

Reported per run: hand-offs per second from the first report filed to the last 200; how fast the reports
were filed (the upper bound for the first figure); and the time from filing (report.created_at, sent as
data.reported_at) to the receiver's 200, p50 and p95.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import run  # noqa: E402

REPORTS = int(os.environ.get("BENCH_HANDOFF_REPORTS", "500"))
# A steady trickle well below what one worker delivers: the latency of one hand-off, without a queue.
PACED_REPORTS, PACED_RATE = 200, 20
WARM_UP = 5
SOLO = ("--pool", "solo")
THREADS = ("--pool", "threads", "--concurrency", "8")  # a worker whose deliveries wait on the network
NETWORK_DELAY = 0.05
RUNS = itertools.count(1)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SERVICES = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")  # unset: the embedded default


def load_example_receiver():
    path = ROOT / "docs" / "examples" / "traffic_receiver.py"
    spec = importlib.util.spec_from_file_location("traffic_receiver_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Receiver


class Receiver:
    """The example receiver on a free port; it records when it answered 200, once per webhook-id."""

    def __init__(self):
        self.delay = 0.0  # seconds before each answer: a dispatch system across a network
        self.delivered: dict[str, tuple[float, float]] = {}  # webhook-id -> (filed, answered 200)
        self.requests = 0
        self.lock = threading.Lock()
        owner = self

        class Timed(load_example_receiver()):
            secret, seen = SECRET, {}

            def do_POST(self):
                self.__dict__.pop("filed", None)  # one connection carries many requests (keep-alive)
                time.sleep(owner.delay)
                with owner.lock:  # the example's check-then-set dedupe, one request at a time
                    super().do_POST()

            def dispatch(self, ticket):
                self.filed = datetime.fromisoformat(ticket["reported_at"]).timestamp()

            def answer(self, code):
                super().answer(code)
                owner.requests += 1
                webhook_id = self.headers["webhook-id"]
                if code == 200 and hasattr(self, "filed"):
                    owner.delivered[webhook_id] = (self.filed, time.time())

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Timed)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.delivered, self.requests = {}, 0

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.delivered) < count:
            if time.monotonic() > deadline:
                sys.exit(f"bench/handoff.py: only {len(self.delivered)} of {count} hand-offs arrived")
            time.sleep(0.05)


def bench_env(var_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in SERVICES}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "VAR_DIR": str(var_dir),
        "TRAFFIC_HANDOFF": "webhook",
        "TRAFFIC_ALLOW_PRIVATE_URLS": "true",  # the bench's receiver is on loopback
        "LOG_LEVEL": "WARNING",
    }


def django_side(env: dict, *args: str) -> str:
    """Run one of the in-Django steps below in a child process on the bench database."""
    done = subprocess.run(
        [run.BIN / "python", "-m", "bench.handoff", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"bench/handoff.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


@contextmanager
def celery_workers(env: dict, count: int, logs: Path, pool: tuple[str, ...] = SOLO):
    processes = [
        subprocess.Popen(
            [run.BIN / "celery", "--app", "portal", "worker", *pool, "--loglevel", "WARNING"]
            + ["--hostname", f"bench{n}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=(logs / f"worker{n}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for n in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * share) - 1, 0)]


def measure(env: dict, receiver: Receiver, workers: int, logs: Path, reports: int, rate: int = 0) -> dict:
    """File `reports` at `rate` a second (0: as fast as one process can) and time their hand-offs."""
    prefix = f"{'P' if rate else 'B'}{workers}"
    with celery_workers(env, workers, logs):
        receiver.reset()
        django_side(env, "file", str(WARM_UP), f"W{prefix}")  # also waits out the workers' start
        receiver.wait_for(WARM_UP, timeout=120)
        receiver.reset()
        filing = json.loads(django_side(env, "file", str(reports), prefix, str(rate)))
        receiver.wait_for(reports, timeout=600)
    times = list(receiver.delivered.values())
    first_filed = min(filed for filed, _ in times)
    last_delivered = max(answered for _, answered in times)
    latencies = [answered - filed for filed, answered in times]
    return {
        "filing": f"{rate}/s" if rate else "burst",
        "workers": workers,
        "reports": reports,
        "per_second": reports / (last_delivered - first_filed),
        "filed_per_second": reports / filing["seconds"],
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "requests": receiver.requests,
    }


def measure_backlog(
    env: dict,
    receiver: Receiver,
    workers: int,
    logs: Path,
    reports: int,
    pool: tuple[str, ...] = SOLO,
) -> dict:
    """What the workers alone can deliver: `reports` filed while no worker runs, then the workers start
    on the queue they find. Timed from the first 200 to the last, so the workers' start is left out."""
    django_side(env, "file", str(reports), f"Q{next(RUNS)}")  # plates of its own: no report is a duplicate
    receiver.reset()
    with celery_workers(env, workers, logs, pool):
        receiver.wait_for(reports, timeout=600)
    answered = sorted(answered for _, answered in receiver.delivered.values())
    return {
        "filing": f"backlog, {pool[1]}"
        + (f" x{pool[3]}" if len(pool) > 2 else "")
        + (f", receiver +{receiver.delay * 1000:.0f} ms" if receiver.delay else ""),
        "workers": workers,
        "reports": reports,
        "per_second": (reports - 1) / (answered[-1] - answered[0]),
        "filed_per_second": float("nan"),
        "p50_ms": float("nan"),
        "p95_ms": float("nan"),
        "requests": receiver.requests,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-handoff-") as var_dir:
        env = bench_env(Path(var_dir))
        run.manage(env, "migrate", "--noinput")
        run.manage(env, "seed")
        with Receiver() as receiver:
            django_side(env, "endpoint", receiver.url)
            results = [measure(env, receiver, workers, Path(var_dir), REPORTS) for workers in (1, 2)]
            results.append(measure(env, receiver, 1, Path(var_dir), PACED_REPORTS, PACED_RATE))
            logs = Path(var_dir)
            results += [measure_backlog(env, receiver, workers, logs, REPORTS) for workers in (1, 2)]
            results.append(measure_backlog(env, receiver, 2, logs, REPORTS, THREADS))
            # A dispatch system across a network answers in tens of milliseconds, not in one.
            receiver.delay = NETWORK_DELAY
            for pool in (SOLO, THREADS):
                results.append(measure_backlog(env, receiver, 2, logs, REPORTS, pool))
    print(
        "\nParking hand-offs, filing to the receiver's 200: SQLite + filesystem broker, solo-pool "
        "workers unless named; burst = filed one after another by one process; backlog = filed before "
        "the workers start, timed from the first 200 to the last\n"
    )
    print(
        f"{'filing':<40}{'reports':>8}{'workers':>8}{'hand-offs/s':>12}{'filed/s':>9}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'requests':>9}"
    )
    for r in results:
        print(
            f"{r['filing']:<40}{r['reports']:>8}{r['workers']:>8}{r['per_second']:>12.1f}"
            f"{r['filed_per_second']:>9.1f}{r['p50_ms']:>8.0f}{r['p95_ms']:>8.0f}{r['requests']:>9}"
        )


# --- In Django (a child process on the bench database) ---------------------------------------------------


def add_endpoint(url: str) -> None:
    from traffic.models import TrafficEndpoint

    TrafficEndpoint.objects.create(name="Bench receiver", url=url, secrets=SECRET)


def file_reports(count: str, prefix: str, rate: str = "0") -> None:
    """File parking reports, `rate` a second or as fast as one process can; distinct plates and no
    pin, so none is a duplicate of another."""
    from tests.factories import file_parking

    started = time.perf_counter()
    for n in range(int(count)):
        if int(rate):
            time.sleep(max(0.0, started + n / int(rate) - time.perf_counter()))
        file_parking("parking-double-parked", vehicle_plate=f"{prefix}{n:05d}")
    print(json.dumps({"seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        import django

        django.setup()
        {"endpoint": add_endpoint, "file": file_reports}[sys.argv[1]](*sys.argv[2:])
    else:
        main()
