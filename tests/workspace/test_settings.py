"""Start-up settings read from the environment, checked in a fresh process each (the test
run's own settings are tests/settings.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
    "s.SECURE_HSTS_SECONDS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
)


def _manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_"))}
    base.update(FUNCTIONS_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="workspace.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_without_secret_key_refuse_to_start(tmp_path):
    done = _manage(tmp_path, "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in done.stderr


def test_settings_debug_is_off_by_default(tmp_path):
    done = _manage(tmp_path, "shell", "-v", "0", "-c", SHOW, DJANGO_SECRET_KEY="k" * 50)
    assert done.stdout.split() == ["False", "False", "False", "False", "0", "None"]


def test_settings_debug_alone_allows_the_development_key(tmp_path):
    assert _manage(tmp_path, "check", DJANGO_DEBUG="1").returncode == 0


def test_settings_https_behind_a_proxy_makes_cookies_secure(tmp_path):
    done = _manage(
        tmp_path,
        "shell",
        "-v",
        "0",
        "-c",
        SHOW,
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        DJANGO_HSTS_SECONDS="31536000",
    )
    assert done.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]


def test_settings_production_env_passes_check_deploy_but_the_hsts_flags(tmp_path):
    done = _manage(
        tmp_path,
        "check",
        "--deploy",
        DJANGO_SECRET_KEY="production-like-" + "k" * 50,
        DJANGO_HTTPS="1",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_ALLOWED_HOSTS="functions.example.com",
    )
    lines = done.stderr.splitlines()
    security = sorted(line.split(")")[0].split("(")[-1] for line in lines if "security." in line)
    assert security == ["security.W005", "security.W021"]
