"""Audit the installed dependencies with pip-audit; fail on a known vulnerability.

    python .ci/pip_audit.py            # from .ci/run, with the project's virtualenv

A vulnerability fails the run unless ``.ci/pip-audit-ignore.txt`` lists its id with a
reason (``PYSEC-2024-1  reason...``; a line without a reason is an error). pip-audit asks
PyPI's JSON API (``/pypi/NAME/VERSION/json``), the only network CI has. Where that
host does not answer for a package, the package is reported as *not audited*: a loud
warning, and a failure with ``PIP_AUDIT_STRICT=1`` (an audit that checked nothing must
not look like a clean one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
IGNORE_FILE = HERE / "pip-audit-ignore.txt"


def ignored() -> dict[str, str]:
    """Vulnerability id -> reason, from the ignore file; every entry needs a reason."""
    entries: dict[str, str] = {}
    if not IGNORE_FILE.exists():
        return entries
    for number, line in enumerate(IGNORE_FILE.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if not text:
            continue
        vuln_id, _, reason = text.partition(" ")
        if not reason.strip():
            sys.exit(f"{IGNORE_FILE.name}:{number}: {vuln_id} has no reason; say why it is safe")
        entries[vuln_id] = reason.strip()
    return entries


def main() -> int:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--vulnerability-service",
        "pypi",
        "--progress-spinner",
        "off",
        "--skip-editable",
        "--format",
        "json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(done.stderr, file=sys.stderr)
        print("pip-audit did not produce a report", file=sys.stderr)
        return 2
    allowed = ignored()
    found, skipped = [], []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append(dep["name"])
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            if ids & allowed.keys():
                continue
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            found.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    audited = len(report.get("dependencies", [])) - len(skipped)
    print(
        f"pip-audit: {audited} packages audited, {len(skipped)} not audited, "
        f"{len(found)} known vulnerabilities, {len(allowed)} documented exceptions"
    )
    for line in found:
        print(f"  VULNERABLE {line}")
    if skipped:
        print(
            f"  WARNING: {len(skipped)} packages could not be audited (the registry host did "
            "not answer /pypi/NAME/VERSION/json for them), e.g. " + ", ".join(skipped[:5])
        )
    if found:
        print(f"fix the versions or document an exception in {IGNORE_FILE.name}")
        return 1
    if skipped and os.environ.get("PIP_AUDIT_STRICT") == "1":
        print("PIP_AUDIT_STRICT=1: packages that were not audited fail the run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
