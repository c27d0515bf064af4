"""`make mutants` keeps mutmut's verdicts in the repository (bench/mutants-record/), so that a run of every
module, longer than a working session, continues in a fresh clone where the last one stopped."""

from __future__ import annotations

import json

import pytest

from bench import mutants


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(mutants, "ROOT", tmp_path)
    monkeypatch.setattr(mutants, "RECORD", tmp_path / "bench" / "mutants-record")
    return tmp_path


def meta(verdicts: dict[str, int | None]) -> str:
    return json.dumps({"exit_code_by_key": verdicts, "hash_by_function_name": {"x_claim": "abc"}})


OUTBOX = mutants.Target("reports/outbox.py")


def test_a_fresh_clone_starts_from_the_kept_verdicts_and_stats(project):
    run = project / "mutants"
    (run / "reports").mkdir(parents=True)
    verdicts = meta({"reports.outbox.x_claim__mutmut_1": 1, "reports.outbox.x_claim__mutmut_2": 0})
    (run / "reports" / "outbox.py.meta").write_text(verdicts)
    (run / mutants.STATS).write_text('{"duration_by_test": {}}')
    mutants.keep_record([OUTBOX])

    (run / "reports" / "outbox.py.meta").unlink()
    (run / mutants.STATS).unlink()
    mutants.restore_record([OUTBOX])

    assert (run / "reports" / "outbox.py.meta").read_text() == verdicts
    assert (run / mutants.STATS).read_text() == '{"duration_by_test": {}}'


def test_it_never_overwrites_the_verdicts_of_a_run_in_progress(project):
    run = project / "mutants" / "reports"
    run.mkdir(parents=True)
    (run / "outbox.py.meta").write_text(meta({"reports.outbox.x_claim__mutmut_1": None}))
    mutants.keep_record([OUTBOX])
    (run / "outbox.py.meta").write_text(meta({"reports.outbox.x_claim__mutmut_1": 1}))

    mutants.restore_record([OUTBOX])

    assert json.loads((run / "outbox.py.meta").read_text())["exit_code_by_key"] == {
        "reports.outbox.x_claim__mutmut_1": 1
    }


def test_the_table_reads_the_kept_verdicts_without_a_run(project):
    run = project / "mutants" / "reports"
    run.mkdir(parents=True)
    (run / "outbox.py.meta").write_text(meta({"reports.outbox.x_claim__mutmut_1": 1}))
    mutants.keep_record([OUTBOX])
    (run / "outbox.py.meta").unlink()

    assert mutants.results(OUTBOX) == {"reports.outbox.x_claim__mutmut_1": 1}


def test_keeping_the_same_verdicts_twice_writes_the_same_bytes(project):
    run = project / "mutants" / "reports"
    run.mkdir(parents=True)
    (run / "outbox.py.meta").write_text(meta({"reports.outbox.x_claim__mutmut_1": 1}))
    mutants.keep_record([OUTBOX])
    first = (mutants.RECORD / "reports" / "outbox.py.meta.gz").read_bytes()

    mutants.keep_record([OUTBOX])

    assert (mutants.RECORD / "reports" / "outbox.py.meta.gz").read_bytes() == first
