"""Static files as `make run` serves them: DEBUG off, `collectstatic`, then a plain
`runserver` (no --insecure), so WhiteNoise alone serves the admin's and our own files."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("static")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="workspace.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="static-test-only-" + "k" * 40,
        FUNCTIONS_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert server.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    yield f"http://127.0.0.1:{port}", manifest
    server.terminate()
    server.wait(10)


def test_static_admin_css_applies_in_the_browser_without_debug(production_server, page):
    url, _ = production_server
    answers = []
    page.on("response", lambda r: answers.append(r) if "/static/" in r.url else None)
    page.goto(f"{url}/admin/login/")
    page.wait_for_load_state("networkidle")
    css = [r for r in answers if r.url.endswith(".css")]
    assert css and {r.status for r in css} == {200}
    # Hashed names (manifest storage), so WhiteNoise may let browsers cache them for good.
    assert all(len(r.url.rsplit("/", 1)[1].split(".")) >= 3 for r in css)
    header = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert header not in ("", "rgba(0, 0, 0, 0)")


@pytest.mark.parametrize("name", ["console/console.css", "functions/editor.js"])
def test_static_project_files_served_without_debug(production_server, name):
    url, manifest = production_server
    with urllib.request.urlopen(f"{url}/static/{manifest[name]}") as answer:
        assert answer.status == 200
        assert "max-age" in answer.headers["Cache-Control"]
        assert answer.read() == (ROOT / "static" / name).read_bytes()
