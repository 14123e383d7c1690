"""``wsgi.py`` (what gunicorn loads) refuses to serve with the development key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_wsgi(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", "import wsgi; print('served', wsgi.app.config['SECRET_KEY'][:4])"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_wsgi_server_without_configuration_refuses_and_says_what_to_set(
    tmp_path: Path,
) -> None:
    done = _import_wsgi(tmp_path)
    assert done.returncode != 0
    assert "served" not in done.stdout
    assert "ConfigError" in done.stderr
    for name in (
        "RESTSTROOM_CONFIG=production",
        "SECRET_KEY",
        "DATABASE_URL",
        "flask --app wsgi run",
    ):
        assert name in done.stderr, name


def test_an_explicit_development_config_without_a_key_is_refused_too(tmp_path: Path) -> None:
    done = _import_wsgi(tmp_path, RESTSTROOM_CONFIG="development")
    assert done.returncode != 0
    assert "development SECRET_KEY" in done.stderr


def test_a_wsgi_server_with_a_real_key_starts(tmp_path: Path) -> None:
    done = _import_wsgi(
        tmp_path, RESTSTROOM_CONFIG="development", SECRET_KEY="a-real-secret-0123456789abcdef"
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert "served a-re" in done.stdout


def test_the_flask_cli_and_the_test_configuration_may_use_the_development_key(
    tmp_path: Path,
) -> None:
    cli = _import_wsgi(tmp_path, FLASK_RUN_FROM_CLI="true")
    assert cli.returncode == 0, cli.stderr[-1500:]
    testing = _import_wsgi(tmp_path, RESTSTROOM_CONFIG="testing")
    assert testing.returncode == 0, testing.stderr[-1500:]
