"""A systemd unit turned into the process systemd would start: command line, environment, folder.

Only what our units use is read, the way systemd reads it: specifiers (%i, %%, ...) in ExecStart=,
Environment=, EnvironmentFile= and WorkingDirectory=; Environment= first, then EnvironmentFile= on top
(systemd.exec: "Settings from these files override settings made with Environment="), each file read by
systemd's own rules (envfile.parse_systemd). Anything else in [Service] that would change how the
process starts makes the job fail, rather than run something the unit does not describe.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

from . import envfile

# What systemd gives every service before the unit's own variables (systemd.exec, "Environment
# variables in spawned processes"); LANG comes from the machine's locale, C.UTF-8 on a bare Debian.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
UNDERSTOOD = {
    "User", "Group", "WorkingDirectory", "Environment", "EnvironmentFile", "ExecStart", "Restart",
    "RestartSec", "KillMode", "KillSignal", "TimeoutStopSec", "Type",
}  # fmt: skip


@dataclass
class Unit:
    name: str
    path: Path
    instance: str = ""
    service: dict[str, list[str]] = field(default_factory=dict)

    def last(self, key: str, default: str = "") -> str:
        values = self.service.get(key) or [default]
        return values[-1]


@dataclass
class Launch:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    kill_mode: str
    kill_signal: int
    stop_timeout: float


def load(folder: Path, name: str) -> Unit:
    """`portal311-web@1.service` is read from `portal311-web@.service` with instance 1."""
    prefix, at, rest = name.partition("@")
    instance = rest.removesuffix(".service") if at else ""
    path = folder / (f"{prefix}@.service" if at else name)
    unit = Unit(name=name, path=path, instance=instance)
    for section, key, value in unit_lines(path.read_text()):
        if section == "Service":
            # An empty assignment resets the list, as in systemd.
            unit.service[key] = [*unit.service.get(key, []), value] if value else []
    unknown = set(unit.service) - UNDERSTOOD
    if unknown:
        raise ValueError(f"{path.name}: check-guide does not know how to honour {', '.join(sorted(unknown))}")
    return unit


def unit_lines(text: str) -> list[tuple[str, str, str]]:
    found, section = [], ""
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def specifiers(unit: Unit) -> dict[str, str]:
    stem = unit.name.removesuffix(".service")
    return {
        "%": "%",
        "i": unit.instance,
        "I": unit.instance,  # our instances are plain numbers: nothing to unescape
        "n": unit.name,
        "N": stem,
        "p": stem.partition("@")[0],
        "H": socket.gethostname(),
    }


def expand(text: str, unit: Unit) -> str:
    known = specifiers(unit)

    def one(match: re.Match) -> str:
        if match[1] not in known:
            raise ValueError(f"{unit.path.name}: specifier %{match[1]} is not one check-guide expands")
        return known[match[1]]

    return re.sub(r"%(.)", one, text)


def environment(unit: Unit) -> dict[str, str]:
    user = pwd.getpwuid(os.getuid())
    env = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", "HOME": user.pw_dir, "USER": user.pw_name}
    env |= {"LOGNAME": user.pw_name, "SHELL": user.pw_shell}
    for line in unit.service.get("Environment", []):
        env |= dict(word.split("=", 1) for word in shlex.split(expand(line, unit)))
    for line in unit.service.get("EnvironmentFile", []):
        optional = line.startswith("-")
        path = Path(expand(line.removeprefix("-"), unit))
        if path.exists() or not optional:
            env |= envfile.parse_systemd(path.read_text())
    return env


def command_line(unit: Unit, env: dict[str, str]) -> list[str]:
    lines = unit.service.get("ExecStart", [])
    if len(lines) != 1 or lines[0][0] in "-@:+!|":
        raise ValueError(f"{unit.path.name}: check-guide runs exactly one plain ExecStart= line")
    words = shlex.split(expand(lines[0], unit))

    def variable(match: re.Match) -> str:
        return env.get(match[1] or match[2], "")

    return [re.sub(r"\$\{(\w+)\}|\$(\w+)", variable, word) for word in words]


def launch(folder: Path, name: str) -> Launch:
    unit = load(folder, name)
    env = environment(unit)
    return Launch(
        argv=command_line(unit, env),
        env=env,
        cwd=Path(expand(unit.last("WorkingDirectory", "/"), unit)),
        kill_mode=unit.last("KillMode", "control-group"),
        kill_signal=signal.Signals[unit.last("KillSignal", "SIGTERM")],
        stop_timeout=float(unit.last("TimeoutStopSec", "90").removesuffix("s")),
    )
