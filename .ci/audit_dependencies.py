"""Audit the installed dependencies with pip-audit; fail on a known vulnerability.

    python .ci/audit_dependencies.py           # from .ci/run, with the project's virtualenv

pip-audit collects the installed distributions (``pip list``, the editable project itself
skipped) and asks PyPI for the vulnerabilities of each. Its own PyPI service asks for the
release record, ``/pypi/NAME/VERSION/json``; CI's only network is the package registry,
which answers the project record, ``/pypi/NAME/json``, but not the release record. The
project record carries the vulnerabilities of the *latest* release only, so this script
gives pip-audit a service that reads whichever record answers:

- the release record when the registry serves it (as pypi.org does): exact;
- else the project record when the installed version is the latest release: exact too;
- else (the installed version is behind the latest release) the latest release's
  vulnerabilities are reported against the installed version (they are unfixed, so an
  older release is assumed to carry them as well), and the package is listed as
  *audited against its latest release only*: vulnerabilities fixed between the installed
  and the latest release cannot be seen from that record.

Verdict:
- a vulnerability fails the run unless ``.ci/pip-audit-ignore.txt`` lists one of its ids
  with a reason (``PYSEC-2024-1  reason...``; a line without a reason is an error);
- a package that could not be audited at all (no record answered) fails the run: an
  audit that checked nothing must not look like a clean one;
- packages audited against their latest release only are listed; with
  ``PIP_AUDIT_STRICT=1`` they fail the run too.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import requests
from packaging.version import InvalidVersion, Version
from pip_audit._audit import Auditor
from pip_audit._dependency_source import PipSource
from pip_audit._service import (
    Dependency,
    ResolvedDependency,
    ServiceError,
    SkippedDependency,
    VulnerabilityResult,
)
from pip_audit._service.pypi import PyPIService

HERE = Path(__file__).resolve().parent
IGNORE_FILE = HERE / "pip-audit-ignore.txt"
# The project itself is installed editable: pip-audit skips it, and it is not a dependency.
PROJECT = tomllib.loads((HERE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "name"
]
PROJECT_URL = "https://pypi.org/pypi/{name}/json"

EXACT_RELEASE = "release record"
EXACT_LATEST = "project record, installed = latest"
LATEST_ONLY = "project record, installed behind latest"


def ignored() -> dict[str, str]:
    """Vulnerability id -> reason, from the ignore file; every entry needs a reason."""
    entries: dict[str, str] = {}
    if not IGNORE_FILE.exists():
        return entries
    for number, line in enumerate(IGNORE_FILE.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        vuln_id, _, reason = text.partition(" ")
        if not reason.strip():
            sys.exit(f"{IGNORE_FILE.name}:{number}: {vuln_id} has no reason; say why it is safe")
        entries[vuln_id] = reason.strip()
    return entries


def results_from(record: dict[str, Any]) -> list[VulnerabilityResult]:
    """The vulnerabilities of a PyPI JSON record, withdrawn ones left out."""
    results = []
    for vuln in record.get("vulnerabilities") or []:
        if vuln.get("withdrawn") is not None:
            continue
        try:
            fixes = sorted(Version(fixed) for fixed in vuln.get("fixed_in") or [])
        except InvalidVersion as error:
            raise ServiceError(f"malformed version from PyPI: {vuln.get('fixed_in')}") from error
        description = vuln.get("summary") or vuln.get("details") or "N/A"
        results.append(
            VulnerabilityResult.create(
                ids=[vuln["id"], *(vuln.get("aliases") or [])],
                description=description.replace("\n", " "),
                fix_versions=fixes,
                published=PyPIService._parse_rfc3339(vuln.get("published")),
            )
        )
    return results


class RegistryService(PyPIService):
    """pip-audit's PyPI service, falling back on the project record where the release
    record is not served; ``coverage`` says, per package, which record audited it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.coverage: dict[str, tuple[str, str]] = {}

    def query(self, spec: Dependency) -> tuple[Dependency, list[VulnerabilityResult]]:
        if spec.is_skipped():
            return spec, []
        dep, vulns = super().query(spec)
        resolved = cast(ResolvedDependency, spec)
        if not dep.is_skipped():
            self.coverage[spec.canonical_name] = (EXACT_RELEASE, str(resolved.version))
            return dep, vulns
        try:
            response = self.session.get(
                url=PROJECT_URL.format(name=spec.canonical_name), timeout=self.timeout
            )
            response.raise_for_status()
            record = response.json()
            latest = Version(record["info"]["version"])
        except (requests.RequestException, ValueError, KeyError, InvalidVersion) as error:
            reason = f"neither PyPI record answered for {spec.canonical_name}: {error}"
            return SkippedDependency(name=spec.name, skip_reason=reason), []
        how, about = EXACT_LATEST, str(latest)
        if resolved.version != latest:
            how, needs = LATEST_ONLY, record["info"].get("requires_python")
            about = f"latest {latest}" + (f", which needs Python {needs}" if needs else "")
        self.coverage[spec.canonical_name] = (how, about)
        return spec, results_from(record)


@dataclass
class Verdict:
    """What the audit found, and whether CI passes."""

    audited: int = 0
    found: list[str] = field(default_factory=list)
    excused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    latest_only: list[str] = field(default_factory=list)
    unused_exceptions: list[str] = field(default_factory=list)

    def exit_code(self, *, strict: bool) -> int:
        if self.found or self.skipped:
            return 1
        return 1 if strict and self.latest_only else 0


def judge(
    results: Iterable[tuple[Dependency, list[VulnerabilityResult]]],
    coverage: dict[str, tuple[str, str]],
    allowed: dict[str, str],
) -> Verdict:
    verdict = Verdict()
    used: set[str] = set()
    for dep, vulns in results:
        if dep.is_skipped() and dep.canonical_name == PROJECT:
            continue
        if dep.is_skipped():
            verdict.skipped.append(f"{dep.name}: {cast(SkippedDependency, dep).skip_reason}")
            continue
        version = str(cast(ResolvedDependency, dep).version)
        verdict.audited += 1
        how, about = coverage.get(dep.canonical_name, (EXACT_RELEASE, version))
        if how == LATEST_ONLY:
            verdict.latest_only.append(f"{dep.name} {version} ({about})")
        seen: set[str] = set()
        for vuln in vulns:
            ids = {vuln.id, *vuln.aliases}
            if ids & seen:  # one advisory under several ids (PyPI lists PYSEC and GHSA)
                continue
            seen |= ids
            fixes = ", ".join(str(v) for v in vuln.fix_versions) or "no fixed version yet"
            also = f" = {', '.join(sorted(vuln.aliases))}" if vuln.aliases else ""
            line = f"{dep.name} {version}: {vuln.id}{also} (fixed in {fixes})"
            if ids & allowed.keys():
                used |= ids & allowed.keys()
                verdict.excused.append(line)
            else:
                verdict.found.append(line)
    verdict.unused_exceptions = sorted(allowed.keys() - used)
    return verdict


def report(verdict: Verdict, allowed: dict[str, str]) -> None:
    print(
        f"pip-audit: {verdict.audited} packages audited "
        f"({len(verdict.latest_only)} of them against their latest release only), "
        f"{len(verdict.skipped)} not audited, {len(verdict.found)} known vulnerabilities, "
        f"{len(verdict.excused)} excused by {len(allowed)} documented exceptions"
    )
    for line in verdict.found:
        print(f"  VULNERABLE {line}")
    for line in verdict.excused:
        print(f"  excused    {line}")
    for line in verdict.skipped:
        print(f"  NOT AUDITED {line}")
    if verdict.latest_only:
        print(
            "  audited against their latest release only (vulnerabilities fixed between the "
            "installed and the latest release are not visible):"
        )
        for line in verdict.latest_only:
            print(f"    {line}")
    for vuln_id in verdict.unused_exceptions:
        print(f"  note: {IGNORE_FILE.name} lists {vuln_id}, which no installed package has")
    if verdict.found:
        print(f"fix the versions or document an exception in {IGNORE_FILE.name}")
    if verdict.skipped:
        print("packages that could not be audited fail the run")


def main() -> int:
    allowed = ignored()
    service = RegistryService(timeout=30)
    results = Auditor(service).audit(PipSource(skip_editable=True))
    verdict = judge(results, service.coverage, allowed)
    report(verdict, allowed)
    strict = os.environ.get("PIP_AUDIT_STRICT") == "1"
    if strict and verdict.latest_only:
        print("PIP_AUDIT_STRICT=1: packages audited against their latest release only fail")
    return verdict.exit_code(strict=strict)


if __name__ == "__main__":
    sys.exit(main())
