"""The embedded default's own SECRET_KEY (portal/settings.py, local_secret_key): web, worker and beat start
together under `make run`, and every one of them must read the same, whole key."""

from __future__ import annotations

import multiprocessing
import secrets
import time

from portal.settings import local_secret_key


def slow_token(nbytes: int | None = None) -> str:
    time.sleep(0.3)  # the moment another process reads the file a first one has just created
    return "k" * 20 + str(time.monotonic_ns())


def read_key(path, results) -> None:
    secrets.token_urlsafe = slow_token
    results.put(local_secret_key(path))


def test_processes_starting_together_read_the_same_whole_key(tmp_path):
    path = tmp_path / "var" / "secret_key"
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    starts = [context.Process(target=read_key, args=(path, results)) for _ in range(4)]
    for process in starts:
        process.start()
    keys = [results.get(timeout=30) for _ in starts]
    for process in starts:
        process.join(timeout=30)

    assert keys[0] and len(set(keys)) == 1
    assert path.read_text().strip() == keys[0]
    assert [item.name for item in path.parent.iterdir()] == ["secret_key"]  # no drafts left behind
