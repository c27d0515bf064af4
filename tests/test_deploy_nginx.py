"""deploy/nginx.conf, run by a real nginx: it proxies to the portal and logs no status-link token."""

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

from .conftest import require
from .test_token_privacy import free_port

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Portal(BaseHTTPRequestHandler):
    """Stands in for gunicorn: answers 200 and remembers what nginx forwarded."""

    seen: list[dict] = []

    def do_GET(self):  # noqa: N802 (the http.server name)
        Portal.seen.append(dict(self.headers))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def runnable_copy(tmp_path: Path, upstream: int, http_port: int, https_port: int) -> Path:
    """The guide's file, pointed at this test's ports, certificate and log folder; nothing else changed."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = re.sub(r"server 127\.0\.0\.1:\d+", f"server 127.0.0.1:{upstream}", site)
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
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = free_port(), free_port()
    conf = runnable_copy(tmp_path, upstream.server_address[1], http_port, https_port)
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
        plain = requests.get(f"http://127.0.0.1:{http_port}/", allow_redirects=False, timeout=5)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()

    forwarded = Portal.seen[-1]
    assert forwarded["X-Forwarded-Proto"] == "https" and forwarded["X-Forwarded-For"] == "127.0.0.1"
    log = (tmp_path / "portal311.access.log").read_text()
    assert '"GET /status/[redacted]/reply/?x=1 HTTP/1.1" 200' in log
    assert '"https://311.example.gov/status/[redacted]/"' in log
    assert token not in log


@pytest.fixture(autouse=True)
def quiet_insecure_warnings():
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
