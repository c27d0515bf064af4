"""Follow docs/deploy.md on this machine as an engineer would, then file reports and check what arrives.

Every command comes from a titled block of the guide, every process from a unit in deploy/systemd/,
nginx from deploy/nginx.conf; machine.substitutions() lists every word changed for this machine.
Everything the job starts or creates is removed at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import checks, envfile, guide, machine, resident, units
from .checks import Filed
from .procs import JobFailed, Process, Processes, wait_for_log, wait_for_port

ROOT = machine.ROOT
# Three of each; parking reports of different problems and plates, so that none is a duplicate of another.
SUBTYPES = {
    "parking": ["parking-double-parked", "parking-blocked-driveway", "parking-fire-hydrant"],
    "theft": ["theft-bicycle"] * 3,
}
CHECK_OUTPUT = "System check identified no issues (0 silenced)."
FAKE_TOOLS = ["aiosmtpd>=1.4", "standardwebhooks>=1.0"]
STORED = """
import json
from reports.models import OutboxMessage, Report
print(json.dumps({
    "reports": list(Report.objects.values("tracking_number", "language")),
    "outbox": list(OutboxMessage.objects.values("kind", "state", "report__tracking_number")),
}))
"""


class Job:
    def __init__(self, tmp: Path):
        self.site = machine.Site(tmp=tmp)
        self.substitute = machine.Substituter(machine.substitutions(self.site))
        self.logs = tmp / "logs"
        self.processes = Processes(self.logs)
        self.timings: list[tuple[str, float, str]] = []
        self.filed: list[Filed] = []
        self.web_units: list[str] = []
        self.tools_install: subprocess.Popen | None = None

    # --- running the guide's words ---------------------------------------------------------------

    def step(self, title: str, action) -> None:
        print(f"--- {title}", flush=True)
        started = time.monotonic()
        detail = action() or ""
        seconds = time.monotonic() - started
        self.timings.append((title, seconds, detail))
        print(f"    ok, {seconds:.1f} s{': ' + detail if detail else ''}", flush=True)

    def shell(self, script: str, name: str) -> subprocess.CompletedProcess:
        """Run commands in bash as root would at a prompt (stricter: -euo pipefail), in the temp folder."""
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=self.site.tmp,
            env=machine.engineer_shell_env(Path(os.environ.get("HOME", "/root"))),
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = done.stdout + done.stderr
        (self.logs / f"{name}.log").write_text(output)
        if done.returncode:
            raise JobFailed(f"{name} failed ({done.returncode}):\n{script}\n---\n{output[-4000:]}")
        return done

    def run_block(self, title: str) -> subprocess.CompletedProcess:
        return self.shell(self.substitute(guide.block(title)), f"block {title.replace('/', '_')}")

    def manage_py(self, code: str) -> str:
        script = f"cd {self.site.srv}\nset -a; . {self.site.env_file}; set +a\n"
        done = self.shell(script + f".venv/bin/python manage.py shell -c {shlex.quote(code)}", "query")
        return done.stdout.strip().splitlines()[-1]

    # --- the steps ---------------------------------------------------------------------------------

    def prepare(self) -> str:
        machine.prepare(self.site)
        tools = self.site.tmp / "tools"
        self.tools_install = subprocess.Popen(
            [
                "bash",
                "-c",
                f"python3.11 -m venv {tools} && {tools}/bin/pip install --quiet {' '.join(FAKE_TOOLS)}",
            ],
            stdout=(self.logs / "tools-install.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return f"{self.site.tmp}, database {self.site.database}"

    def install(self) -> str:
        self.run_block("install")
        return "pip install . (no extras)"

    def write_env_file(self) -> str:
        text = self.substitute(guide.block("/etc/portal311/env"))
        additions = machine.env_additions(self.site)
        text += "".join(f"# check-guide: {why}\n{line}\n" for line, why in additions)
        self.site.env_file.write_text(text)
        self.site.env_file.chmod(0o640)
        return f"{len(text.splitlines())} lines"

    def check(self) -> str:
        done = self.run_block("check")
        # Besides the verdict, only log records at INFO (django-axes announces itself) may appear.
        noise = [line for line in done.stderr.splitlines() if '"level": "INFO"' not in line]
        if done.stdout.strip() != CHECK_OUTPUT or noise:
            raise JobFailed(
                f'the guide says the check prints "{CHECK_OUTPUT}"; it printed:\n{done.stdout}{done.stderr}'
            )
        return done.stdout.strip()

    def first_start(self) -> str:
        self.run_block("first start")
        return "migrate, collectstatic, seed"

    def traffic_endpoint(self) -> str:
        output = self.run_block("traffic endpoint").stdout
        if "Saved" not in output:
            raise JobFailed(f"the endpoint was not saved:\n{output}")
        return output.strip().splitlines()[-1]

    def services(self) -> list[str]:
        """The units the guide enables, in its order; and it must install ours and our nginx file."""
        block = guide.block("services")
        for words in ("cp deploy/systemd/*.service /etc/systemd/system/", "cp deploy/nginx.conf "):
            if words not in block:
                raise JobFailed(f'the "services" block no longer says `{words}`: update check-guide')
        match = re.search(r"^systemctl enable --now (.+)$", block, re.MULTILINE)
        if not match:
            raise JobFailed('the "services" block has no `systemctl enable --now …` line')
        return [name if name.endswith(".service") else f"{name}.service" for name in match[1].split()]

    def verify_units(self) -> str:
        folder = self.site.tmp / "units"
        for path in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
            (folder / path.name).write_text(self.substitute(path.read_text()))
        names = self.services()
        done = subprocess.run(
            ["systemd-analyze", "verify", *[str(folder / name) for name in names]],
            capture_output=True,
            text=True,
        )
        ours = [line for line in (done.stdout + done.stderr).splitlines() if "portal311" in line]
        if done.returncode or ours:
            raise JobFailed("systemd-analyze verify:\n" + (done.stdout + done.stderr))
        return f"{len(names)} units, no warnings"

    def start_fakes(self) -> str:
        if self.tools_install.wait(timeout=300):
            raise JobFailed(
                "installing aiosmtpd and standardwebhooks failed:\n" + tail(self.logs / "tools-install.log")
            )
        python, fakes = str(self.site.tmp / "tools/bin/python"), str(Path(__file__).with_name("fakes.py"))
        tls, site = self.site.tls, self.site
        smtp = self.processes.start(
            "fake-smtp",
            [python, fakes, "smtp", str(site.smtp_port), f"{tls}/fullchain.pem", f"{tls}/privkey.pem"]
            + [str(self.logs / "mail.jsonl")],
            env={"PATH": os.environ["PATH"]},
            cwd=site.tmp,
        )
        receiver = self.processes.start(
            "fake-receiver",
            [python, fakes, "receiver", str(site.receiver_port), site.webhook_secret]
            + [str(self.logs / "deliveries.jsonl")],
            env={"PATH": os.environ["PATH"]},
            cwd=site.tmp,
        )
        wait_for_port(site.smtp_port, smtp)
        wait_for_port(site.receiver_port, receiver)
        return f"SMTP on {site.smtp_port} (STARTTLS, AUTH), receiver on {site.receiver_port}"

    def start_nginx(self) -> str:
        site_conf = self.substitute((ROOT / "deploy" / "nginx.conf").read_text())
        prefix = self.site.tmp / "nginx"
        prefix.mkdir()
        conf = prefix / "nginx.conf"
        # Debian's /etc/nginx/nginx.conf, reduced to what the site file needs, around the guide's file.
        conf.write_text(
            f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\nhttp {{\n"
            f"    client_body_temp_path {prefix}/body;\n    proxy_temp_path {prefix}/proxy;\n"
            f"    access_log off;\n{site_conf}\n}}\n"
        )
        nginx = machine.TOOLS["nginx"]
        machine.run([nginx, "-t", "-c", str(conf), "-p", str(prefix)])
        process = self.processes.start(
            "nginx", [nginx, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"], env={}, cwd=prefix
        )
        wait_for_port(self.site.https_port, process)
        upstream = re.findall(r"server 127\.0\.0\.1:(\d+)", site_conf)
        return f"https on {self.site.https_port}, upstream {', '.join(upstream)}"

    def start_units(self) -> str:
        names = self.services()
        started = {name: self.start_unit(name) for name in names}
        self.web_units = [name for name in names if name.startswith("portal311-web@")]
        for name, process in started.items():
            if name in self.web_units:
                wait_for_port(self.web_port(name), process)
            elif name.startswith("portal311-worker@"):
                wait_for_log(process, " ready.")
            elif name.startswith("portal311-beat"):
                wait_for_log(process, "beat: Starting")
        self.processes.check_alive()
        return ", ".join(name.removesuffix(".service") for name in names)

    def start_unit(self, name: str) -> Process:
        launch = units.launch(self.site.tmp / "units", name)
        return self.processes.start(
            name.removesuffix(".service"),
            launch.argv,
            env=launch.env,
            cwd=launch.cwd,
            kill_mode=launch.kill_mode,
            kill_signal=launch.kill_signal,
            stop_timeout=launch.stop_timeout,
        )

    def web_port(self, unit_name: str) -> int:
        instance = unit_name.removesuffix(".service").partition("@")[2]
        return self.site.web_ports([instance])[0]

    def browser(self, language: str = "en") -> resident.Browser:
        cafile = str(self.site.tls / "fullchain.pem")
        return resident.Browser("311.example.gov", self.site.https_port, cafile, accept_language=language)

    def file_reports(self) -> str:
        for number in range(1, 7):
            kind = "parking" if number % 2 else "theft"
            language = "es" if number == 6 else "en"
            browser = self.browser(language)
            tracking_number = resident.file_report(browser, SUBTYPES[kind][(number - 1) // 2], kind, number)
            details = resident.details_for(kind, number)
            self.filed.append(Filed(tracking_number, kind, details["contact_email"], language))
        spanish = browser.get("/report/submitted/").text
        if "Gracias. Recibimos su reporte." not in spanish:
            raise JobFailed("the confirmation page is not in Spanish for Accept-Language: es (.mo files?)")
        return ", ".join(
            f"{f.tracking_number} ({f.kind}{', es' if f.language == 'es' else ''})" for f in self.filed
        )

    def wait_for_deliveries(self) -> str:
        parking = sum(1 for f in self.filed if f.kind == "parking")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self.processes.check_alive()
            mail = checks.records(self.logs / "mail.jsonl")
            arrived = checks.records(self.logs / "deliveries.jsonl")
            if len(mail) >= len(self.filed) and len(arrived) >= parking:
                break
            time.sleep(1)
        time.sleep(5)  # anything sent twice would arrive now
        mail = checks.records(self.logs / "mail.jsonl")
        arrived = checks.records(self.logs / "deliveries.jsonl")
        return f"{len(mail)} emails, {len(arrived)} hand-offs"

    def check_results(self) -> str:
        stored = json.loads(self.manage_py(STORED))
        checks.fail_on(checks.check_database(self.filed, stored), "the database")
        sender = self.env_value("DEFAULT_FROM_EMAIL")
        login = (self.env_value("EMAIL_HOST_USER"), self.site.smtp_password)
        mail = checks.records(self.logs / "mail.jsonl")
        checks.fail_on(checks.check_emails(self.filed, mail, sender=sender, login=login), "the emails")
        arrived = checks.records(self.logs / "deliveries.jsonl")
        checks.fail_on(checks.check_deliveries(self.filed, arrived), "the Traffic Control hand-offs")
        served = {name: checks.web_requests(self.processes_log(name), " /report/") for name in self.web_units}
        if not all(served.values()):
            raise JobFailed(f"nginx did not share the filing steps between the web instances: {served}")
        shares = ", ".join(f"{name.removesuffix('.service')} {n}" for name, n in served.items())
        return f"each report stored, emailed and (parking) handed off once; filing requests: {shares}"

    def check_health(self) -> str:
        health = resident.wait_until_healthy(self.browser(), seconds=90)
        if health["status"] != 200:
            raise JobFailed(f"/healthz through nginx answered {health['status']}: {health['body']}")
        return health["body"]

    def rolling_restart(self) -> str:
        """The guide's upgrade: one web instance at a time, while nginx keeps answering."""
        for name in self.web_units:
            process = next(p for p in self.processes.running if p.name == name.removesuffix(".service"))
            self.processes.stop(process)
            for _ in range(4):
                self.browser().get("/")
            wait_for_port(self.web_port(name), self.start_unit(name))
        self.browser().get("/")
        return f"{len(self.web_units)} instances restarted in turn; every page answered 200 meanwhile"

    def stop_and_check_logs(self) -> str:
        self.processes.stop_all()
        workers = sorted(self.logs.glob("portal311-worker@*.log"))
        problems, task_lines = checks.check_worker_logs(workers)
        problems += checks.check_warm_shutdown(workers)
        checks.fail_on(problems, "the worker logs (LOG_FORMAT=json, KillMode=mixed)")
        return f"{task_lines} JSON task lines from the workers; warm shutdown"

    # --- helpers -----------------------------------------------------------------------------------

    def env_value(self, name: str) -> str:
        return envfile.parse_systemd(self.site.env_file.read_text())[name]

    def processes_log(self, unit_name: str) -> Path:
        return self.logs / f"{unit_name.removesuffix('.service')}.log"

    def run(self) -> None:
        self.print_substitutions()
        self.step("prepare: temp folder, database, Redis, certificate", self.prepare)
        self.step("1. install (block `install`)", self.install)
        self.step("2. environment file (block `/etc/portal311/env`)", self.write_env_file)
        self.step("2. deploy check (block `check`)", self.check)
        self.step("3. first start (block `first start`)", self.first_start)
        self.step("4. systemd-analyze verify (block `services`)", self.verify_units)
        self.step("fake SMTP server and Traffic Control receiver", self.start_fakes)
        self.step("4. nginx with deploy/nginx.conf", self.start_nginx)
        self.step("4. start the units' ExecStart= lines", self.start_units)
        self.step("5. Traffic endpoint (block `traffic endpoint`)", self.traffic_endpoint)
        self.step("file reports through nginx", self.file_reports)
        self.step("wait for emails and hand-offs", self.wait_for_deliveries)
        self.step("check database, emails, hand-offs", self.check_results)
        self.step("6. /healthz through nginx", self.check_health)
        self.step("3. rolling restart of the web instances", self.rolling_restart)
        self.step("stop everything; worker logs", self.stop_and_check_logs)
        unused = self.substitute.unused()
        if unused:
            raise JobFailed(f"substitutions that no longer match anything (update machine.py): {unused}")

    def print_substitutions(self) -> None:
        print("Substitutions (what the guide says -> what it is on this machine):")
        for entry in self.substitute.table:
            print(f"  {entry.guide}  ->  {entry.here}   ({entry.why})")
        for line, why in machine.env_additions(self.site):
            print(f"  appended to the environment file: {line}   ({why})")

    def summary(self, started: float, failure: str | None) -> None:
        print("\n=== check-guide summary")
        for title, seconds, detail in self.timings:
            print(f"  ok   {seconds:6.1f} s  {title}")
            if detail:
                print(f"                 {detail[:200]}")
        if failure:
            print(f"  FAILED         {failure.splitlines()[0]}")
        outcome = "FAILED" if failure else "the guide works as written"
        print(f"  total {time.monotonic() - started:.0f} s: {outcome}")
        # The plain closing line CI reads: each step is one check.
        print(f"check-guide: {len(self.timings)} passed, {1 if failure else 0} failed")


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def unavailable() -> list[str]:
    missing = [f"{tool} (not installed)" for tool in machine.missing_tools()]
    return missing or machine.services_down()


def main() -> int:
    started = time.monotonic()
    missing = unavailable()
    if missing:
        print(f"check-guide: missing {', '.join(missing)}")
        if os.environ.get("CI") == "true":
            print("check-guide: FAILED: CI must have every tool the guide uses")
            return 1
        print("check-guide: SKIPPED (outside CI a missing tool skips the job)")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the cleanup below runs
    job = Job(Path(tempfile.mkdtemp(prefix="check-guide-")))
    failure = None
    try:
        job.run()
    except (JobFailed, guide.GuideError) as error:
        failure = str(error)
    except BaseException as error:
        failure = f"{type(error).__name__}: {error}"
        raise
    finally:
        if failure:
            report_failure(job, failure)
        job.processes.stop_all()
        keep = os.environ.get("CHECK_GUIDE_KEEP") == "1"
        leftovers = machine.clean_up(job.site, keep=keep)
        for problem in leftovers:
            print(f"check-guide: cleanup: {problem}")
        job.summary(started, failure)
        if keep:
            print(f"  kept {job.site.tmp} (CHECK_GUIDE_KEEP=1)")
    return 1 if failure else 0


def report_failure(job: Job, failure: str) -> None:
    print(f"\ncheck-guide FAILED:\n{failure}\n", flush=True)
    for process in job.processes.running:
        print(f"--- last lines of {process.name}:\n{process.tail(15)}\n")
