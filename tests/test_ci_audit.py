"""``.ci/audit_dependencies.py``: pip-audit over the installed dependencies, reading PyPI's
release record or, where the registry serves only that, the project record; a known
vulnerability fails CI unless documented with a reason. No network: PyPI is faked."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from packaging.version import Version
from pip_audit._service import ResolvedDependency, SkippedDependency

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "audit_dependencies.py"

FLASK_LATEST = {"info": {"version": "3.1.3", "requires_python": ">=3.9"}, "vulnerabilities": []}
ECDSA_LATEST = {
    "info": {"version": "0.19.2", "requires_python": ">=3.6"},
    "vulnerabilities": [
        {
            "id": "PYSEC-2026-1325",
            "aliases": ["CVE-2024-23342"],
            "summary": "Minerva timing attack",
            "fixed_in": [],
            "withdrawn": None,
        },
        {
            "id": "GHSA-wj6h-64fc-37mp",
            "aliases": ["CVE-2024-23342", "PYSEC-2026-1325"],
            "summary": "Minerva timing attack (same advisory)",
            "fixed_in": [],
        },
        {
            "id": "PYSEC-2020-1",
            "aliases": [],
            "details": "old",
            "fixed_in": ["0.13.3"],
            "withdrawn": "2021-01-01T00:00:00Z",
        },
    ],
}
NUMPY_LATEST = {
    "info": {"version": "2.5.5", "requires_python": ">=3.12"},
    "vulnerabilities": [
        {"id": "GHSA-nnnn", "aliases": ["CVE-2099-7"], "summary": "x", "fixed_in": []}
    ],
}
JINJA_RELEASE = {
    "info": {"version": "3.1.0"},
    "vulnerabilities": [
        {
            "id": "GHSA-xxxx",
            "aliases": ["CVE-2099-1"],
            "summary": "sandbox escape",
            "fixed_in": ["3.1.6", "3.1.4"],
        }
    ],
}


def _response(url: str, status: int, body: dict[str, Any] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = url
    response.reason = "OK" if status == 200 else "Not Found"
    response._content = json.dumps(body or {}).encode()
    return response


class FakePyPI:
    """A registry like CI's: it serves project records always and release records only
    for the versions listed in ``releases``."""

    def __init__(
        self,
        projects: dict[str, dict[str, Any]],
        releases: dict[tuple[str, str], dict[str, Any]] | None = None,
    ) -> None:
        self.projects = projects
        self.releases = releases or {}
        self.asked: list[str] = []

    def get(self, url: str, timeout: int | None = None) -> requests.Response:
        self.asked.append(url)
        parts = url.removeprefix("https://pypi.org/pypi/").removesuffix("/json").split("/")
        if len(parts) == 2 and tuple(parts) in self.releases:
            return _response(url, 200, self.releases[(parts[0], parts[1])])
        if len(parts) == 1 and parts[0] in self.projects:
            return _response(url, 200, self.projects[parts[0]])
        return _response(url, 404)


def _dep(name: str, version: str) -> ResolvedDependency:
    return ResolvedDependency(name=name, version=Version(version))


@pytest.fixture()
def script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit_dependencies", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "IGNORE_FILE", tmp_path / "ignore.txt")
    monkeypatch.delenv("PIP_AUDIT_STRICT", raising=False)
    return module


def _service(script: ModuleType, registry: FakePyPI) -> Any:
    service = script.RegistryService(timeout=5)
    service.session = registry
    return service


def test_the_release_record_is_read_where_the_registry_serves_it(script: ModuleType) -> None:
    registry = FakePyPI({}, {("jinja2", "3.1.0"): JINJA_RELEASE})
    service = _service(script, registry)
    dep, vulns = service.query(_dep("Jinja2", "3.1.0"))
    assert not dep.is_skipped()
    assert [(v.id, sorted(v.aliases), [str(f) for f in v.fix_versions]) for v in vulns] == [
        ("CVE-2099-1", ["GHSA-xxxx"], ["3.1.4", "3.1.6"])
    ]
    assert service.coverage["jinja2"] == (script.EXACT_RELEASE, "3.1.0")
    assert registry.asked == ["https://pypi.org/pypi/jinja2/3.1.0/json"]


def test_the_project_record_audits_the_latest_release_exactly(script: ModuleType) -> None:
    registry = FakePyPI({"ecdsa": ECDSA_LATEST})
    service = _service(script, registry)
    dep, vulns = service.query(_dep("ecdsa", "0.19.2"))
    assert not dep.is_skipped()
    # the withdrawn one left out; one advisory under two ids is reported once (below)
    assert [v.id for v in vulns] == ["PYSEC-2026-1325", "PYSEC-2026-1325"]
    assert vulns[0].description == "Minerva timing attack"
    assert service.coverage["ecdsa"] == (script.EXACT_LATEST, "0.19.2")
    assert registry.asked == [
        "https://pypi.org/pypi/ecdsa/0.19.2/json",
        "https://pypi.org/pypi/ecdsa/json",
    ]


def test_a_release_behind_the_latest_gets_the_latest_vulnerabilities_and_says_so(
    script: ModuleType,
) -> None:
    service = _service(script, FakePyPI({"numpy": NUMPY_LATEST}))
    _dep_out, vulns = service.query(_dep("numpy", "2.4.6"))
    assert [{v.id, *v.aliases} for v in vulns] == [{"GHSA-nnnn", "CVE-2099-7"}]
    assert service.coverage["numpy"] == (
        script.LATEST_ONLY,
        "latest 2.5.5, which needs Python >=3.12",
    )


def test_a_package_no_record_answers_for_is_not_audited(script: ModuleType) -> None:
    dep, vulns = _service(script, FakePyPI({})).query(_dep("private-thing", "1.0"))
    assert dep.is_skipped() and vulns == []
    assert "neither PyPI record answered for private-thing" in dep.skip_reason


def _run_main(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, registry: FakePyPI, *deps: Any
) -> int:
    class Source:
        def __init__(self, **_: Any) -> None:
            pass

        def collect(self) -> Iterator[Any]:
            yield from deps

    original = script.RegistryService.__init__

    def init(self: Any, **kwargs: Any) -> None:
        original(self, **kwargs)
        self.session = registry

    monkeypatch.setattr(script, "PipSource", Source)
    monkeypatch.setattr(script.RegistryService, "__init__", init)
    result: int = script.main()
    return result


REGISTRY = FakePyPI(
    {"flask": FLASK_LATEST, "numpy": NUMPY_LATEST, "ecdsa": ECDSA_LATEST},
    {("jinja2", "3.1.0"): JINJA_RELEASE},
)
EDITABLE = SkippedDependency(name="reststroom", skip_reason="distribution marked as editable")


def test_a_clean_environment_passes_and_the_editable_project_is_no_dependency(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    code = _run_main(script, monkeypatch, REGISTRY, _dep("Flask", "3.1.3"), EDITABLE)
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("pip-audit: 1 packages audited (0 of them against their latest release")
    assert "0 not audited, 0 known vulnerabilities" in out


def test_a_known_vulnerability_fails(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    deps = (_dep("Flask", "3.1.3"), _dep("Jinja2", "3.1.0"))
    assert _run_main(script, monkeypatch, REGISTRY, *deps) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE Jinja2 3.1.0: CVE-2099-1 = GHSA-xxxx (fixed in 3.1.4, 3.1.6)" in out
    assert "document an exception in" in out


def test_a_documented_exception_passes_and_unused_ones_are_named(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    script.IGNORE_FILE.write_text(
        "# accepted\nCVE-2024-23342 we sign nothing with ecdsa; it comes with a test tool\n"
        "GHSA-gone fixed long ago\n",
        encoding="utf-8",
    )
    assert _run_main(script, monkeypatch, REGISTRY, _dep("ecdsa", "0.19.2")) == 0
    out = capsys.readouterr().out
    assert "excused    ecdsa 0.19.2: PYSEC-2026-1325 = CVE-2024-23342, GHSA-wj6h-64fc-37mp" in out
    assert "lists GHSA-gone, which no installed package has" in out
    assert out.count("excused    ecdsa") == 1


def test_an_exception_without_a_reason_is_refused(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    script.IGNORE_FILE.write_text("GHSA-xxxx\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"ignore\.txt:1: GHSA-xxxx has no reason"):
        _run_main(script, monkeypatch, REGISTRY, _dep("Jinja2", "3.1.0"))


def test_a_package_that_was_not_audited_fails(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert _run_main(script, monkeypatch, REGISTRY, _dep("private-thing", "1.0")) == 1
    assert "NOT AUDITED private-thing: neither PyPI record answered" in capsys.readouterr().out


def test_releases_behind_the_latest_are_listed_and_fail_only_in_strict_mode(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    script.IGNORE_FILE.write_text("CVE-2099-7 numpy's test only\n", encoding="utf-8")
    assert _run_main(script, monkeypatch, REGISTRY, _dep("numpy", "2.4.6")) == 0
    out = capsys.readouterr().out
    assert "(1 of them against their latest release only)" in out
    assert "    numpy 2.4.6 (latest 2.5.5, which needs Python >=3.12)" in out
    monkeypatch.setenv("PIP_AUDIT_STRICT", "1")
    assert _run_main(script, monkeypatch, REGISTRY, _dep("numpy", "2.4.6")) == 1
