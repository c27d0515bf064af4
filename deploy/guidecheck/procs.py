"""The processes the job starts, and stopping every one of them, whatever happened."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class JobFailed(Exception):
    """A step of the guide did not work as written."""


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    kill_mode: str = "control-group"
    kill_signal: int = signal.SIGTERM
    stop_timeout: float = 30

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def exited(self, doing: str = "") -> JobFailed:
        """The failure to raise, its first line naming the process and the last thing it said."""
        said = [line for line in self.tail().splitlines() if line.strip()]
        last = said[-1].strip() if said else "(nothing)"
        return JobFailed(
            f"{self.name} exited with status {self.popen.returncode}{doing}: {last}\n{self.tail()}"
        )


class Processes:
    """Each process in a session of its own, so that it and its children can be stopped by its id."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: list[Process] = []

    def start(self, name: str, argv: list[str], *, env: dict, cwd: Path, **stopping) -> Process:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        process = Process(name, popen, log, **stopping)
        self.running.append(process)
        return process

    def stop(self, process: Process) -> None:
        """As systemd stops a unit: KillSignal to the main process (mixed) or to all (control-group),
        then SIGKILL to whatever is left after TimeoutStopSec."""
        pid = process.popen.pid
        try:
            if process.kill_mode == "mixed":
                os.kill(pid, process.kill_signal)
            else:
                os.killpg(pid, process.kill_signal)
            process.popen.wait(timeout=process.stop_timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        kill_group(pid)
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)

    def check_alive(self) -> None:
        for process in self.running:
            if process.popen.poll() is not None:
                raise process.exited()


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, process: Process | None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process and process.popen.poll() is not None:
            raise process.exited(f" before it listened on {port}")
        time.sleep(0.2)
    raise JobFailed(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def wait_for_log(process: Process, text: str, seconds: float = 60) -> None:
    """Until the process writes `text`: a worker is up when Celery says it is ready, not when it started."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.log.exists() and text in process.log.read_text(errors="replace"):
            return
        if process.popen.poll() is not None:
            raise process.exited()
        time.sleep(0.3)
    raise JobFailed(f"{process.name} did not write {text!r} in {seconds:.0f} s:\n{process.tail()}")
