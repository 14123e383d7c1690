"""The customer fixed the top level: marketplace -> flows -> geo, and the engine stays pure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_flows_and_geo_import_without_the_web_stack() -> None:
    code = (
        "import sys, flows, geo, flows.cli, flows.propose, geo.distance, geo.regions;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'wtforms', 'flask_sqlalchemy', 'marketplace'});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_code_reads_the_shared_folder_at_run_time() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("marketplace", "flows", "geo")
        for path in (ROOT / package).rglob("*.py")
        if "../shared" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
