"""The environment file means the same to bash and to systemd, and a value with a comment stuck to it stops
the portal at start.

An engineer reads /etc/portal311/env with `set -a; . file; set +a` before manage.py; systemd reads it
with EnvironmentFile= for the services. "SECURE=true   # note" is "true" to bash and "true   # note" to
systemd, so .env.example and the guide's file are written in the one format both read alike
(deploy/guidecheck/envfile.py), and settings refuse a value that still carries an inline comment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.guidecheck import envfile, guide

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
GUIDE_ENV_FILE = "/etc/portal311/env"


@pytest.fixture(params=[".env.example", GUIDE_ENV_FILE])
def env_file(request, tmp_path) -> Path:
    if request.param == GUIDE_ENV_FILE:
        path = tmp_path / "env"
        path.write_text(guide.block(GUIDE_ENV_FILE))
        return path
    return ROOT / request.param


def test_it_is_written_in_the_format_both_read(env_file):
    assert envfile.format_problems(env_file.read_text()) == []


def test_every_variable_reads_the_same_in_bash_and_in_systemd(env_file):
    assert envfile.parse_systemd(env_file.read_text()), "no variables found"
    assert envfile.differences(env_file) == []


def test_the_comparison_sees_an_inline_comment(tmp_path):
    path = tmp_path / "env"
    path.write_text('SECURE=true   # behind nginx\nFROM="Minneapolis 311 <no-reply@example.org>"\n')
    assert envfile.parse_systemd(path.read_text())["SECURE"] == "true   # behind nginx"
    assert envfile.parse_bash(path)[0]["SECURE"] == "true"
    assert envfile.differences(path) == ["SECURE: systemd reads 'true   # behind nginx', bash reads 'true'"]
    assert "comments go on a line of their own" in envfile.format_problems(path.read_text())[0]


def test_it_reads_quotes_and_escapes_as_systemd_does():
    text = "# comment\nA=plain\nB='single $x'\nC=\"double # x\"\nD=x\\\n  y\n  E = spaced  \nexport F=1\n"
    assert envfile.parse_systemd(text) == {
        "A": "plain",
        "B": "single $x",
        "C": "double # x",
        "D": "x  y",
        "E": "spaced",  # F is dropped: "export F" is not a valid name
    }


def settings_started_with(tmp_path: Path, line: str) -> subprocess.CompletedProcess:
    """Import the settings with the environment systemd would give the services for this line."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")
    }
    environment |= {"VAR_DIR": str(tmp_path), **envfile.parse_systemd(line + "\n")}
    return subprocess.run(
        [sys.executable, "-c", "from portal import settings; print(settings.SECRET_KEY)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "line, name",
    [
        ("SECURE=true   # secure cookies, HSTS", "SECURE"),
        ("EVIDENCE_ROOT=/var/lib/portal311/evidence   # or S3, see docs/security.md", "EVIDENCE_ROOT"),
        ("SITE_URL=https://311.example.gov # the public address", "SITE_URL"),
        ("TRUSTED_PROXY_COUNT=1\t# nginx", "TRUSTED_PROXY_COUNT"),
    ],
)
def test_settings_refuse_a_value_with_an_inline_comment(tmp_path, line, name):
    started = settings_started_with(tmp_path, line)
    assert started.returncode != 0
    message = started.stderr.strip().splitlines()[-1]
    assert f"ImproperlyConfigured: {name} ends with an inline comment" in message
    assert "inline comments are not allowed" in message


def test_secret_keys_and_passwords_may_hold_a_hash(tmp_path):
    started = settings_started_with(tmp_path, 'SECRET_KEY="k3y # with a hash, kept whole"')
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "k3y # with a hash, kept whole"


def test_site_url_must_be_absolute(tmp_path):
    started = settings_started_with(tmp_path, "SITE_URL=311.example.gov")
    assert started.returncode != 0
    assert "SITE_URL must be an absolute URL" in started.stderr
