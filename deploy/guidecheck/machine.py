"""This machine standing in for the guide's: a temp folder for /srv, /etc and /var, a database and Redis
databases of the job's own, free ports, a certificate; and SUBSTITUTIONS, every change the job makes
to the guide's words, so that nothing else differs from what an engineer types.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import subprocess
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

from .procs import JobFailed, free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
REDIS_BROKER_DB, REDIS_CACHE_DB = 10, 11
TOOLS = {
    "python3.11": "python3.11",
    "nginx": "/usr/sbin/nginx",
    "systemd-analyze": "systemd-analyze",
    "openssl": "openssl",
    "psql": "psql",
    "createdb": "createdb",
    "dropdb": "dropdb",
    "redis-cli": "redis-cli",
}
# Not part of the code an engineer clones: caches, local state, build output, another venv.
NOT_CLONED = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
    ".hypothesis", "staticfiles", "mutants", "test-results", "node_modules",
)  # fmt: skip


@dataclass(frozen=True)
class Substitution:
    guide: str  # the words in docs/deploy.md, deploy/systemd/ or deploy/nginx.conf
    here: str
    why: str


@dataclass
class Site:
    tmp: Path
    database: str = field(default_factory=lambda: f"guide_{secrets.token_hex(4)}")
    web_prefix: str = ""  # instance N listens on 127.0.0.1:<web_prefix>N, as 800N in the guide
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    receiver_port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    # Spaces, a " #" and <> in a password: it must reach the mail server whole from both readers.
    smtp_password: str = "pass word #3 <ok>"
    webhook_secret: str = field(default_factory=lambda: new_webhook_secret())

    def __post_init__(self):
        self.web_prefix = self.web_prefix or free_prefix()

    @property
    def srv(self) -> Path:
        return self.tmp / "srv" / "portal311"

    @property
    def env_file(self) -> Path:
        return self.tmp / "etc" / "portal311" / "env"

    @property
    def tls(self) -> Path:
        return self.tmp / "tls"

    def web_ports(self, instances: list[str]) -> list[int]:
        return [int(f"{self.web_prefix}{n}") for n in instances]


def new_webhook_secret() -> str:
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


def free_prefix() -> str:
    """A prefix P such that ports P1..P9 are free, standing in for the guide's 8001..8009."""
    for _ in range(200):
        prefix = str(random.randint(2000, 6400))
        if all(port_is_free(int(f"{prefix}{n}")) for n in range(1, 10)):
            return prefix
    raise JobFailed("no free run of ports for the web instances")


def substitutions(site: Site) -> list[Substitution]:
    """Every change to the guide's words, printed by the job; each must still match something."""
    t, redis, s = site.tmp, "redis://127.0.0.1:6379", Substitution
    return [
        s("/srv/portal311", str(site.srv), "the clone, in the job's temp folder"),
        s("/var/lib/portal311", f"{t}/var/lib/portal311", "VAR_DIR, evidence and beat's schedule"),
        s("/etc/portal311", f"{t}/etc/portal311", "the environment file"),
        s("/var/log/nginx/", f"{t}/log/nginx/", "nginx's logs"),
        s("/etc/letsencrypt/live/311.example.gov/", f"{site.tls}/", "a self-signed certificate"),
        s("SECRET_KEY=REPLACE-ME", f"SECRET_KEY={site.secret_key}", "a placeholder"),
        s(
            "postgres://portal311:REPLACE-ME@127.0.0.1:5432/portal311",
            f"postgres://postgres@127.0.0.1:5432/{site.database}",
            "a database of the job's own",
        ),
        s(f"{redis}/0", f"{redis}/{REDIS_BROKER_DB}", "Redis databases of the job's own"),
        s(f"{redis}/1", f"{redis}/{REDIS_CACHE_DB}", "Redis databases of the job's own"),
        s("EMAIL_HOST=smtp.example.gov", "EMAIL_HOST=127.0.0.1", "the fake SMTP server"),
        s("EMAIL_PORT=587", f"EMAIL_PORT={site.smtp_port}", "the fake SMTP server"),
        s('EMAIL_HOST_PASSWORD="REPLACE-ME"', f'EMAIL_HOST_PASSWORD="{site.smtp_password}"', "a placeholder"),
        s(
            "https://cad.traffic.example.gov/hooks/311",
            f"http://127.0.0.1:{site.receiver_port}/hooks/311",
            "the fake Traffic Control receiver",
        ),
        s("whsec_REPLACE-ME", site.webhook_secret, "a placeholder"),
        s("127.0.0.1:800", f"127.0.0.1:{site.web_prefix}", "free ports for the web instances"),
        s("listen 80;", f"listen 127.0.0.1:{site.http_port};", "a free port"),
        s("listen 443 ssl", f"listen 127.0.0.1:{site.https_port} ssl", "a free port"),
    ]


def env_additions(site: Site) -> list[tuple[str, str]]:
    """Lines the job appends to the guide's environment file, and why: nothing else is added."""
    return [
        ("TRAFFIC_ALLOW_PRIVATE_URLS=true", "the Traffic Control receiver is on loopback"),
        (f"SSL_CERT_FILE={site.tls}/fullchain.pem", "trust the fake SMTP server's certificate for STARTTLS"),
    ]


class Substituter:
    """Applies the table and remembers which entries matched: one that never does is a stale entry."""

    def __init__(self, table: list[Substitution]):
        self.table = table
        self.used: set[str] = set()

    def __call__(self, text: str) -> str:
        # In one pass, longest first, so that a replacement is never replaced again (…/1 inside …/10).
        here = {entry.guide: entry.here for entry in self.table}
        pattern = "|".join(re.escape(guide) for guide in sorted(here, key=len, reverse=True))

        def replace(match: re.Match) -> str:
            self.used.add(match[0])
            return here[match[0]]

        return re.sub(pattern, replace, text)

    def unused(self) -> list[str]:
        return [entry.guide for entry in self.table if entry.guide not in self.used]


def missing_tools() -> list[str]:
    return [name for name, path in TOOLS.items() if not shutil.which(path)]


def services_down() -> list[str]:
    down = []
    if subprocess.run(["pg_isready", *PG[:4]], capture_output=True).returncode != 0:
        down.append("PostgreSQL on 127.0.0.1:5432")
    ping = subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True)
    if ping.stdout.strip() != "PONG":
        down.append("Redis on 127.0.0.1:6379")
    return down


def prepare(site: Site) -> None:
    for folder in ("etc/portal311", "var/lib/portal311/evidence", "log/nginx", "tls", "logs", "units"):
        (site.tmp / folder).mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT, site.srv, ignore=NOT_CLONED)
    run(["createdb", *PG, site.database])
    flush_redis()
    run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=311.example.gov", "-addext", "subjectAltName=DNS:311.example.gov,IP:127.0.0.1"]
        + ["-keyout", str(site.tls / "privkey.pem"), "-out", str(site.tls / "fullchain.pem")]
    )


def flush_redis() -> None:
    for db in (REDIS_BROKER_DB, REDIS_CACHE_DB):
        run(["redis-cli", "-h", "127.0.0.1", "-n", str(db), "flushdb"])


def clean_up(site: Site, keep: bool) -> list[str]:
    """Drop what the job made; returns what could not be dropped."""
    problems = []
    dropped = subprocess.run(["dropdb", *PG, "--if-exists", "--force", site.database], capture_output=True)
    if dropped.returncode:
        problems.append(f"dropdb {site.database}: {dropped.stderr.decode().strip()}")
    try:
        flush_redis()
    except JobFailed as error:
        problems.append(str(error))
    if not keep:
        shutil.rmtree(site.tmp, ignore_errors=True)
    return problems


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise JobFailed(f"{' '.join(argv[:3])} … failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def engineer_shell_env(home: Path) -> dict[str, str]:
    """A root login shell's environment: no DATABASE_URL or VAR_DIR from CI leaks into the guide's steps.
    pip's own settings and proxies pass, as they are this machine's way to reach the package index."""
    passed = {k: v for k, v in os.environ.items() if k.startswith("PIP_") or k.lower().endswith("_proxy")}
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", **passed}
