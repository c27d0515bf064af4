"""The environment file, read the two ways a deployment reads it.

systemd reads /etc/portal311/env for the services (EnvironmentFile=); an engineer's shell reads it with
`set -a; . /etc/portal311/env; set +a` before running manage.py. The rules differ (an inline "# note"
is a comment to bash and part of the value to systemd), so a file must be written to mean the same to
both: FORMAT below, checked by tests/test_environment_file.py on .env.example and on the guide's file.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# systemd's src/basic/env-file.c (parse_env_file_internal), character classes as it names them.
COMMENTS = "#;"
WHITESPACE = " \t\n\r"
NEWLINE = "\n\r"
SHELL_NEED_ESCAPE = '"\\`$'
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# A line both read alike: a comment on its own, or NAME=value where the value is plain (no character
# either of them treats specially), "double-quoted" (spaces, <, >, & ... but no $ ` " \) or
# 'single-quoted' (anything but ').
FORMAT = re.compile(
    r"""(?x)
    \#.* |                                   # a comment on a line of its own
    [A-Za-z_][A-Za-z0-9_]*=(
        [^\s"'$`\\;&|<>()*?\[\]{}~\#!]* |    # plain
        "[^"$`\\]*" |                        # double-quoted
        '[^']*'                              # single-quoted
    )
    """
)


def parse_systemd(text: str) -> dict[str, str]:
    """What EnvironmentFile= puts in a service's environment, read the way systemd 252+ reads it."""
    pairs: dict[str, str] = {}
    for key, value in _systemd_assignments(text):
        # Later lines win (strv_env_replace_consume); invalid names are dropped (strv_env_clean).
        if VALID_NAME.match(key):
            pairs[key] = value
    return pairs


# One state machine, kept in the shape of systemd's C (same states, same order) to compare line by line.
def _systemd_assignments(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    state, key, value = "PRE_KEY", "", ""
    value_ws = key_ws = None  # where trailing whitespace began, to chop it off

    def push() -> None:
        nonlocal key, value
        chopped = value[:value_ws] if state == "VALUE" and value_ws is not None else value
        found.append((key[:key_ws] if key_ws is not None else key, chopped))
        key, value = "", ""

    for c in text:
        if state == "PRE_KEY":
            if c in COMMENTS:
                state = "COMMENT"
            elif c not in WHITESPACE:
                state, key, key_ws = "KEY", c, None
        elif state == "KEY":
            if c in NEWLINE:
                state, key = "PRE_KEY", ""
            elif c == "=":
                state, value_ws = "PRE_VALUE", None
            else:
                key_ws = None if c not in WHITESPACE else (len(key) if key_ws is None else key_ws)
                key += c
        elif state in ("PRE_VALUE", "VALUE"):
            if c in NEWLINE:
                push()
                state = "PRE_KEY"
            elif c == "\\":
                state, value_ws = "VALUE_ESCAPE", None
            elif state == "PRE_VALUE" and c in "'\"":
                state = "SINGLE_QUOTE_VALUE" if c == "'" else "DOUBLE_QUOTE_VALUE"
            elif state == "PRE_VALUE" and c in WHITESPACE:
                pass
            else:
                if state == "VALUE":
                    value_ws = None if c not in WHITESPACE else (len(value) if value_ws is None else value_ws)
                state, value = "VALUE", value + c
        elif state == "VALUE_ESCAPE":
            state, value = "VALUE", value + ("" if c in NEWLINE else c)
        elif state == "SINGLE_QUOTE_VALUE":
            if c == "'":
                state = "PRE_VALUE"
            else:
                value += c
        elif state == "DOUBLE_QUOTE_VALUE":
            if c == '"':
                state = "PRE_VALUE"
            elif c == "\\":
                state = "DOUBLE_QUOTE_VALUE_ESCAPE"
            else:
                value += c
        elif state == "DOUBLE_QUOTE_VALUE_ESCAPE":
            state = "DOUBLE_QUOTE_VALUE"
            if c in SHELL_NEED_ESCAPE:
                value += c
            elif c != "\n":
                value += "\\" + c
        elif state == "COMMENT":
            if c == "\\":
                state = "COMMENT_ESCAPE"
            elif c in NEWLINE:
                state = "PRE_KEY"
        elif state == "COMMENT_ESCAPE":
            state = "PRE_KEY" if c in NEWLINE else "COMMENT"
    if state not in ("PRE_KEY", "KEY", "COMMENT", "COMMENT_ESCAPE"):
        push()
    return found


def parse_bash(path: Path) -> tuple[dict[str, str], str]:
    """What `set -a; . file; set +a` exports, in a clean bash, and anything bash said about the file."""
    script = 'set -a; . "$1"; set +a; exec env -0'
    done = subprocess.run(
        ["env", "-i", "bash", "--noprofile", "--norc", "-c", script, "bash", str(path)],
        capture_output=True,
        timeout=30,
    )
    pairs = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return pairs, done.stderr.decode().strip()


def format_problems(text: str) -> list[str]:
    """The lines that FORMAT does not allow, numbered, with what to do about them."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped and not FORMAT.fullmatch(stripped):
            problems.append(f"line {number}: {line!r}: {_advice(stripped)}")
    return problems


def _advice(line: str) -> str:
    if line.startswith("export "):
        return "no `export` (systemd reads it as part of the name)"
    if re.search(r"\s#", line):
        return "comments go on a line of their own (systemd keeps an inline comment in the value)"
    return 'put a value with spaces or <>&;|()*?~ in double quotes, one with $ ` " or \\ in single quotes'


def differences(path: Path) -> list[str]:
    """Variables the two readers of the file would see differently."""
    systemd = parse_systemd(path.read_text())
    bash, complaints = parse_bash(path)
    found = [f"bash says: {complaints}"] if complaints else []
    for name, value in systemd.items():
        if bash.get(name) != value:
            found.append(f"{name}: systemd reads {value!r}, bash reads {bash.get(name)!r}")
    return found
