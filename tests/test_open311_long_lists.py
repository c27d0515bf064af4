"""FixMyStreet polls with every open request id in one GET: 1,000 ids pass through the web server as
deployed (gunicorn with portal/gunicorn.conf.py, nginx with deploy/nginx.conf and the lines
docs/open311.md gives), and a longer line gets the Open311 error list, not an HTML page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from .conftest import require
from .test_deploy_nginx import NGINX, runnable_copy
from .test_token_privacy import free_port

ROOT = Path(__file__).resolve().parent.parent
# The id lists as FixMyStreet's URI->query_form writes them: "ABCD-EFGH%2C" is 12 bytes an id.
FMS_IDS = 1000
TOO_MANY_FOR_ANY_SERVER = 1400  # 16.8 KB: over nginx's 16 KB buffer and gunicorn's 16 KB line


def fms_poll(base: str, count: int) -> str:
    ids = "%2C".join(f"{n:04d}-ZZZZ" for n in range(count))
    return f"{base}/open311/v2/requests.xml?jurisdiction_id=minneapolis&service_request_id={ids}"


def wait_for_answer(url: str, **options) -> requests.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return requests.get(url, timeout=60, **options)  # a busy machine: the worker loads slowly
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"nothing answers at {url}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """The web server as deployed, on a free port, with a migrated database of its own."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    env.pop("DATABASE_URL", None)
    python = Path(sys.executable)
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [python.parent / "gunicorn", "portal.wsgi", "--config", "portal/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_answer(f"{base}/open311/discovery.xml")
        yield base, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_takes_1000_ids_in_one_get(gunicorn):
    base, _ = gunicorn
    assert len(fms_poll(base, FMS_IDS)) > 12_000  # three times gunicorn's default line

    response = requests.get(fms_poll(base, FMS_IDS), timeout=60)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert ET.fromstring(response.content).tag == "service_requests"


def test_gunicorn_still_refuses_a_line_over_its_limit(gunicorn):
    base, _ = gunicorn

    response = requests.get(fms_poll(base, TOO_MANY_FOR_ANY_SERVER), timeout=60)

    # gunicorn's own answer; behind nginx (below) a line this long never reaches it.
    assert response.status_code == 414


def nginx_lines() -> str:
    """The lines docs/open311.md asks for in the server block of deploy/nginx.conf."""
    guide = (ROOT / "docs" / "open311.md").read_text()
    (block,) = re.findall(r"```nginx\n(.*?)```", guide, re.DOTALL)
    return block


def test_nginx_passes_1000_ids_and_answers_a_longer_line_with_the_error_list(gunicorn, tmp_path):
    require(Path(NGINX).exists(), "nginx is not installed (Debian's nginx-light package)")
    _, port = gunicorn
    http_port, https_port = free_port(), free_port()
    conf = runnable_copy(tmp_path, [port, port], http_port, https_port)
    site = conf.read_text()
    if "large_client_header_buffers" not in site:  # until deploy/nginx.conf has them itself
        site = site.replace("    location / {", nginx_lines() + "\n    location / {", 1)
        conf.write_text(site)
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"])
    base = f"https://127.0.0.1:{https_port}"
    try:
        passed = wait_for_answer(fms_poll(base, FMS_IDS), verify=False)
        refused = requests.get(fms_poll(base, TOO_MANY_FOR_ANY_SERVER), verify=False, timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert passed.status_code == 200 and ET.fromstring(passed.content).tag == "service_requests"
    assert refused.status_code == 414
    assert refused.headers["Content-Type"] == "text/xml; charset=utf-8"
    errors = ET.fromstring(refused.content)
    assert errors.tag == "errors" and errors.findtext("error/code") == "414"


@pytest.fixture(autouse=True)
def quiet_insecure_warnings():
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
