"""deploy/: nginx.conf, run by a real nginx, proxies to both web instances and logs no status-link token;
the systemd units, read the way systemd reads them (deploy/guidecheck/units.py, which deploy/check-guide
starts them with), bind the ports nginx lists and name Celery workers the way Celery accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from celery.utils.nodenames import default_nodename, host_format

from deploy.guidecheck import units

from .conftest import require
from .test_token_privacy import free_port

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
UNITS = ROOT / "deploy" / "systemd"


class Portal(BaseHTTPRequestHandler):
    """Stands in for one gunicorn instance: answers 200 and remembers what nginx forwarded, and where."""

    seen: list[tuple[int, dict]] = []

    def do_GET(self):  # noqa: N802 (the http.server name)
        Portal.seen.append((self.server.server_address[1], dict(self.headers)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def runnable_copy(tmp_path: Path, upstreams: list[int], http_port: int, https_port: int) -> Path:
    """The guide's file, pointed at this test's ports, certificate and log folder; nothing else changed.

    Each `server 127.0.0.1:PORT` line of the upstream block gets the next of `upstreams`, in order."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    ports = iter(upstreams)
    site, count = re.subn(r"server 127\.0\.0\.1:\d+", lambda _: f"server 127.0.0.1:{next(ports)}", site)
    assert count == len(upstreams), f"deploy/nginx.conf names {count} upstream servers"
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = re.sub(r"listen 443 ssl( http2)?;", f"listen 127.0.0.1:{https_port} ssl;", site)
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path}/key.pem;", site)
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    main = f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/main-error.log;
events {{}}
http {{
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    access_log off;
{site}
}}
"""
    conf = tmp_path / "nginx.conf"
    conf.write_text(main)
    return conf


def test_nginx_runs_the_guides_file_and_logs_no_token(tmp_path):
    require(Path(NGINX).exists(), "nginx is not installed (Debian's nginx-light package)")
    upstreams = [ThreadingHTTPServer(("127.0.0.1", 0), Portal) for _ in range(2)]
    for upstream in upstreams:
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
    ports = [upstream.server_address[1] for upstream in upstreams]
    http_port, https_port = free_port(), free_port()
    conf = runnable_copy(tmp_path, ports, http_port, https_port)
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"])
    token = "T0ken_-" + "x" * 25
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                response = requests.get(
                    f"https://127.0.0.1:{https_port}/status/{token}/reply/?x=1",
                    headers={"Referer": f"https://311.example.gov/status/{token}/"},
                    verify=False,
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and response.text == "ok"
        forwarded = Portal.seen[-1][1]
        plain = requests.get(f"http://127.0.0.1:{http_port}/", allow_redirects=False, timeout=5)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        # Requests take turns between the two instances, and one that is down (restarting) is skipped.
        Portal.seen.clear()
        home = f"https://127.0.0.1:{https_port}/"
        assert all(requests.get(home, verify=False, timeout=5).ok for _ in range(4))
        assert {port for port, _ in Portal.seen} == set(ports)
        upstreams[0].shutdown()
        upstreams[0].server_close()
        assert all(requests.get(home, verify=False, timeout=5).ok for _ in range(4))
        assert Portal.seen[-1][0] == ports[1]
    finally:
        server.terminate()
        server.wait(timeout=10)
        for upstream in upstreams:
            upstream.shutdown()
            upstream.server_close()

    assert forwarded["X-Forwarded-Proto"] == "https" and forwarded["X-Forwarded-For"] == "127.0.0.1"
    log = (tmp_path / "portal311.access.log").read_text()
    assert '"GET /status/[redacted]/reply/?x=1 HTTP/1.1" 200' in log
    assert '"https://311.example.gov/status/[redacted]/"' in log
    assert token not in log


@pytest.fixture(autouse=True)
def quiet_insecure_warnings():
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


# --- The systemd units ----------------------------------------------------------------------------------


def started_with(unit_name: str) -> list[str]:
    return units.command_line(units.load(UNITS, unit_name), env={})


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_each_web_instance_binds_a_port_nginx_sends_to():
    bound = [option(started_with(f"portal311-web@{n}.service"), "--bind") for n in (1, 2)]
    upstream = re.findall(r"server (127\.0\.0\.1:\d+)", (ROOT / "deploy" / "nginx.conf").read_text())
    assert bound == upstream == ["127.0.0.1:8001", "127.0.0.1:8002"]


def test_workers_are_named_as_celery_accepts():
    hostname = option(started_with("portal311-worker@2.service"), "--hostname")
    assert hostname == "worker2@%h"  # systemd's %% is Celery's %, and Celery's %H does not exist
    assert host_format(default_nodename(hostname)).startswith("worker2@")
    assert "--hostname worker@%h" in (ROOT / "Procfile").read_text()


def test_the_workers_units_run_the_pool_make_run_runs():
    from .test_delivery_guarantees import procfile_pool

    argv = started_with("portal311-worker@1.service")
    assert procfile_pool() == ("--pool", "threads", "--concurrency", "8")
    assert (option(argv, "--pool"), option(argv, "--concurrency")) == ("threads", "8")


def test_a_unit_that_cannot_start_gives_up():
    for path in UNITS.glob("*.service"):
        settings = {key: value for _, key, value in units.unit_lines(path.read_text())}
        assert settings["Restart"] == "always" and int(settings["RestartSec"]) >= 1, path.name
        assert int(settings["StartLimitBurst"]) * int(settings["RestartSec"]) < int(
            settings["StartLimitIntervalSec"]
        ), f"{path.name} would restart forever"


def test_the_environment_file_wins_over_the_units_environment_lines(tmp_path):
    (tmp_path / "env").write_text('SHARED=from-the-file\nQUOTED="a # b"\n')
    (tmp_path / "demo@.service").write_text(
        f"[Service]\nEnvironment=SHARED=from-the-unit PORT=800%i\nEnvironmentFile={tmp_path}/env\n"
        "ExecStart=/bin/echo ${PORT} %%h\n"
    )
    unit = units.load(tmp_path, "demo@3.service")
    env = units.environment(unit)
    assert (env["SHARED"], env["PORT"], env["QUOTED"]) == ("from-the-file", "8003", "a # b")
    assert units.command_line(unit, env) == ["/bin/echo", "8003", "%h"]
