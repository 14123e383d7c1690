"""``.ci/pip_audit.py``: a known vulnerability fails CI unless documented with a reason."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "pip_audit.py"


def _load(
    monkeypatch: pytest.MonkeyPatch, report: dict[str, Any], ignore: str, tmp: Path
) -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_pip_audit", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp / "ignore.txt").write_text(ignore, encoding="utf-8")
    monkeypatch.setattr(module, "IGNORE_FILE", tmp / "ignore.txt")

    def fake_run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, stdout=json.dumps(report), stderr="")

    monkeypatch.setattr(module.subprocess, "run", fake_run)
    return module


VULNERABLE = {
    "dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.0",
            "vulns": [{"id": "GHSA-xxxx", "aliases": ["CVE-2099-1"], "fix_versions": ["3.1.6"]}],
        },
    ]
}


def test_a_known_vulnerability_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    module = _load(monkeypatch, VULNERABLE, "", tmp_path)
    assert module.main() == 1
    assert "VULNERABLE jinja2 3.1.0: GHSA-xxxx (fixed in 3.1.6)" in capsys.readouterr().out


def test_a_documented_exception_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ignore = "# accepted\nCVE-2099-1 only in the sandbox we never use\n"
    assert _load(monkeypatch, VULNERABLE, ignore, tmp_path).main() == 0


def test_an_exception_without_a_reason_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = _load(monkeypatch, VULNERABLE, "GHSA-xxxx\n", tmp_path)
    with pytest.raises(SystemExit, match="has no reason"):
        module.main()


def test_packages_that_were_not_audited_fail_only_in_strict_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = {"dependencies": [{"name": "flask", "skip_reason": "not found on PyPI"}]}
    module = _load(monkeypatch, report, "", tmp_path)
    assert module.main() == 0
    monkeypatch.setenv("PIP_AUDIT_STRICT", "1")
    assert module.main() == 1
