"""`make mutants`: mutation testing with mutmut over the modules that guard residents and evidence.

mutmut copies the project into mutants/ (pyproject.toml, [tool.mutmut]), records which tests reach each
function, and runs every mutant against only those tests. This runs the chosen modules in one mutmut run
(so the clean run of the tests happens once), with one worker (the tests share one SQLite database), then
prints each module's kill rate from mutmut's own records (mutants/<file>.meta), and the survivors to look
at with `.venv/bin/mutmut show NAME`.

    .venv/bin/python bench/mutants.py                        # every module
    .venv/bin/python bench/mutants.py reports/outbox.py      # some of them
    .venv/bin/python bench/mutants.py --table                # the last results, running nothing

VAR_DIR should be a folder of its own (the Makefile uses var/mutants): its test database is made afresh
at the start and reused by every mutant after that.

This module is also a pytest plugin (`-p bench.mutants` in [tool.mutmut]): every mutant is a pytest
session of its own, and the suite collects the static files once a session, which would cost each
mutant four seconds of its six; the files are the same for every mutant, so they are collected once a
run. And mutmut hands each mutant's tests to pytest in no particular order, with -x: a mutant that one
fast test kills could first sit through minutes of slow ones. Under mutmut the plugin puts the fastest
first. mutmut's own figures (mutants/mutmut-stats.json) time only a test's call, and many of the tests
that reach an upload file their report in a fixture, so the plugin times each test whole (setup, call
and teardown) in mutmut's stats run, into mutants/mutants-durations.json, and orders by that; by
mutmut's figures when a stats run made before this left none. Tests without a figure go last, and tests
that share a module- or class-scoped fixture (a server started once for them) stay together.

mutmut keeps each mutant's verdict in mutants/<file>.meta. Run without names it runs only the mutants
without one; given names or patterns (as here, one pattern a module) it runs every mutant they match
again. The verdicts are kept in the repository too (bench/mutants-record/, compressed) for --table, with
the stats run's findings, which save the most: a run in a fresh clone starts from them, times only the
tests that are new since, and copies them back when it ends or is stopped with Ctrl-C; `--keep` copies
them after a run that was killed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"
RECORD = ROOT / "bench" / "mutants-record"  # the verdicts, kept in the repository


@dataclass(frozen=True)
class Target:
    path: str
    # Mangled function names (mutmut's x_function, xǁClassǁmethod) to mutate; empty: the whole module.
    functions: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")

    @property
    def patterns(self) -> list[str]:
        # A pattern must match the function's own name too, not only its mutants', or mutmut runs the
        # whole suite as the clean run.
        return [f"{self.module}.{name}*" for name in self.functions] or [f"{self.module}.*"]

    def covers(self, mutant: str) -> bool:
        # A name ending in ǁ is a class: every method of it counts.
        name = mutant.removeprefix(f"{self.module}.")
        prefixes = [f if f.endswith("ǁ") else f"{f}__mutmut_" for f in self.functions]
        return not self.functions or any(name.startswith(prefix) for prefix in prefixes)


TARGETS = [
    Target("reports/evidence.py"),
    Target("reports/evidence_checks.py"),
    Target("reports/evidence_copies.py"),
    # The status tokens only: the rest of the module is Django fields, which mutmut leaves alone anyway.
    Target("reports/models/report.py", ("x_new_tracking_number", "x_hash_token", "xǁStatusLinkǁ")),
    Target("reports/workflow.py"),
    Target("reports/outbox.py"),
    Target("reports/access.py"),
    Target("open311/privacy.py"),
    Target("traffic/api.py"),
    Target("traffic/updates.py"),
]

KILLED = {1, 3}  # a test failed; pytest's internal error counts as a kill too
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Tally:
    killed: int = 0
    timeout: int = 0
    survived: int = 0
    no_tests: int = 0
    other: int = 0  # suspicious, segfault, interrupted
    unchecked: int = 0

    def add(self, exit_code: int | None) -> None:
        if exit_code is None:
            self.unchecked += 1
        elif exit_code in KILLED:
            self.killed += 1
        elif exit_code in TIMEOUT:
            self.timeout += 1
        elif exit_code in SURVIVED:
            self.survived += 1
        elif exit_code in NO_TESTS:
            self.no_tests += 1
        else:
            self.other += 1

    @property
    def tested(self) -> int:
        return self.killed + self.timeout + self.survived + self.no_tests + self.other

    @property
    def rate(self) -> str:
        return f"{100 * (self.killed + self.timeout) / self.tested:.1f} %" if self.tested else "-"


def results(target: Target) -> dict[str, int | None]:
    meta, kept = ROOT / "mutants" / f"{target.path}.meta", RECORD / f"{target.path}.meta.gz"
    if meta.exists():
        codes = json.loads(meta.read_text())["exit_code_by_key"]
    elif kept.exists():
        codes = json.loads(gzip.decompress(kept.read_bytes()))["exit_code_by_key"]
    else:
        return {}
    return {name: code for name, code in codes.items() if target.covers(name)}


def recorded(targets: list[Target]) -> list[str]:
    # Each module's verdicts, and the stats run's findings (which tests reach which function, and how
    # long each takes), so that the next run times only the tests that are new since.
    return [f"{target.path}.meta" for target in targets] + [STATS, DURATIONS]


def restore_record(targets: list[Target]) -> None:
    # Into a fresh mutants/ only: mutmut regenerates the mutants and keeps a verdict while its function's
    # source hash is the one recorded with it.
    for name in recorded(targets):
        here, kept = ROOT / "mutants" / name, RECORD / f"{name}.gz"
        if kept.exists() and not here.exists():
            here.parent.mkdir(parents=True, exist_ok=True)
            here.write_bytes(gzip.decompress(kept.read_bytes()))


def keep_record(targets: list[Target]) -> None:
    # Compressed (the stats are 1.5 MB of JSON, 150 KB so), and without a time stamp: a file that did not
    # change stays the same bytes.
    for name in recorded(targets):
        here, kept = ROOT / "mutants" / name, RECORD / f"{name}.gz"
        if here.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(gzip.compress(here.read_bytes(), compresslevel=9, mtime=0))


def run(targets: list[Target], env: dict[str, str]) -> float:
    # One mutmut run for all of them: the clean run of the selected tests (ten minutes) happens once.
    started = time.monotonic()
    command = [str(MUTMUT), "run", "--max-children", "1", *(p for target in targets for p in target.patterns)]
    print(f"\n=== {', '.join(target.path for target in targets)}: {' '.join(command[1:])}", flush=True)
    restore_record(targets)
    try:
        subprocess.run(command, cwd=ROOT, env=env, check=True)
    finally:
        keep_record(targets)
    return time.monotonic() - started


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def print_table(targets: list[Target], took: float | None) -> None:
    rows = [("module", "mutants", "killed", "timeout", "survived", "no tests", "other", "kill rate")]
    survivors: list[str] = []
    for target in targets:
        tally = Tally()
        for name, code in sorted(results(target).items()):
            tally.add(code)
            if code in SURVIVED or code in NO_TESTS:
                survivors.append(name)
        counts = (tally.tested, tally.killed, tally.timeout, tally.survived, tally.no_tests, tally.other)
        rows.append((target.path, *map(str, counts), tally.rate))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"\nThis run took {minutes(took)}." if took is not None else "")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if survivors:
        print(f"\nSurvivors and mutants no test reaches ({len(survivors)}); see one with `mutmut show NAME`:")
        for name in survivors:
            print(f"  {name}")


STATIC_COLLECTED = "mutants-static-collected"  # in VAR_DIR: this run has collected the static files


def pytest_configure(config: pytest.Config) -> None:
    # pytest-django has set Django up by now. Each mutant's session is a process of its own, forked from
    # mutmut's fork server, so what says "collected" is a file, which main() removes at the start.
    from django.conf import settings
    from django.contrib.staticfiles.management.commands import collectstatic

    command = collectstatic.Command
    if getattr(command, "handle_every_time", None):
        return
    command.handle_every_time = handle = command.handle
    collected = Path(settings.VAR_DIR) / STATIC_COLLECTED

    def handle_once(self: collectstatic.Command, **options: object) -> str:
        if collected.exists():
            return ""
        output = handle(self, **options)
        collected.touch()
        return output

    command.handle = handle_once


# In mutants/, the folder mutmut runs each mutant's tests in: mutmut's stats, and ours.
STATS = "mutmut-stats.json"
DURATIONS = "mutants-durations.json"
spent: dict[str, float] = {}  # this session's tests, whole, when it is mutmut's stats run


def under_mutmut() -> bool:
    return Path.cwd().name == "mutants" and (Path.cwd() / "pyproject.toml").exists()


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None]:
    # Before every other plugin's reordering: pytest-django's (tests that commit after the others) is a
    # stable sort, so it keeps this order within each of its groups.
    ours, mutmuts = Path.cwd() / DURATIONS, Path.cwd() / STATS
    if under_mutmut() and ours.exists():
        items[:] = fastest_first(items, json.loads(ours.read_text()))
    elif under_mutmut() and mutmuts.exists():
        items[:] = fastest_first(items, json.loads(mutmuts.read_text())["duration_by_test"])
    return (yield)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if under_mutmut() and os.environ.get("MUTANT_UNDER_TEST") == "stats":
        spent[report.nodeid] = spent.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish() -> None:
    # A later stats run times only the tests that are new since: the figures before it are kept.
    if spent:
        path = Path.cwd() / DURATIONS
        known = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**known, **spent}))


def fastest_first(items: list[pytest.Item], seconds: dict[str, float]) -> list[pytest.Item]:
    # Interleaved with other modules' tests, a module's fixture would be set up again each time its
    # module comes round (the gunicorn server takes seconds), and mutmut's figures leave setup out.
    shared = wider_fixture_homes(items[0].session) if items else set()
    blocks: dict[object, list[pytest.Item]] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        inside = any(module == home or module.startswith(f"{home}/") for home in shared)
        blocks.setdefault(module if inside else item, []).append(item)

    def cost(block: list[pytest.Item]) -> tuple[bool, float]:
        known = [seconds.get(item.nodeid) for item in block]
        return None in known, sum(duration or 0.0 for duration in known)

    return [item for block in sorted(blocks.values(), key=cost) for item in block]


def wider_fixture_homes(session: pytest.Session) -> set[str]:
    # Where our fixtures scoped wider than a test and narrower than the session are defined (a test
    # module, or a conftest's folder); found by definition, since a test may ask for one by name
    # (request.getfixturevalue). pytest-django's (no home: a plugin's) are left out: its class-scoped
    # unittest setup does nothing for plain test functions. pytest has no public list of fixtures.
    definitions = session._fixturemanager._get_all_fixture_defs()
    wider = ("package", "module", "class")
    return {d.baseid.split("::")[0] for d in definitions if d.baseid and d.scope in wider}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths as in the table; all of them when none")
    parser.add_argument("--table", action="store_true", help="print the last results, run nothing")
    parser.add_argument("--keep", action="store_true", help="copy the verdicts into bench/mutants-record/")
    args = parser.parse_args()
    known = {target.path: target for target in TARGETS}
    unknown = [module for module in args.modules if module not in known]
    if unknown:
        parser.error(f"not a module of this run: {', '.join(unknown)} (choose from {', '.join(known)})")
    targets = [known[module] for module in args.modules] or TARGETS

    took = None
    if args.keep:
        keep_record(targets)
    elif not args.table:
        env = {**os.environ, "VAR_DIR": os.environ.get("VAR_DIR", str(ROOT / "var" / "mutants"))}
        Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        # One test database (--reuse-db) and one collection of the static files for the run, both made
        # afresh from the current migrations and files.
        for name in ("test-db.sqlite3", "test-db.sqlite3-wal", "test-db.sqlite3-shm", STATIC_COLLECTED):
            Path(env["VAR_DIR"], name).unlink(missing_ok=True)
        took = run(targets, env)
    print_table(targets, took)


if __name__ == "__main__":
    main()
