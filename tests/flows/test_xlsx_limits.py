"""Hostile workbooks: a zip bomb, too many shared strings, too many cells.

A 150 kB .xlsx that unpacks to 150 MB is refused before any XML is parsed, quickly and
without the process growing by anything like the 150 MB (measured in a subprocess).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest

from flows.errors import ValidationError
from flows.listing_file import read as reader
from flows.listing_file import read_listing_file

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["ref", "kind", "title", "material", "ewc_code", "quantity", "unit", "postcode"]
ROW = ["H-1", "offer", "Pallethout", "", "03 01 05", "12.5", "t", "7201 AA"]


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bomb(path: Path, *, inflated_bytes: int) -> int:
    """A valid workbook whose sheet XML is padded with a comment to ``inflated_bytes``."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([HEADER, ROW])))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info.filename, body)
                continue
            head, tail = body.split(b"</worksheet>")
            padding = inflated_bytes - len(body) - len(b"<!--") - len(b"-->")
            with out.open(info.filename, "w", force_zip64=True) as member:
                member.write(head + b"<!--")
                chunk = b" " * 1_000_000
                while padding > 0:
                    member.write(chunk[: min(padding, len(chunk))])
                    padding -= len(chunk)
                member.write(b"-->" + b"</worksheet>" + tail)
    return path.stat().st_size


MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from flows.errors import ValidationError
    from flows.listing_file import read_listing_file

    data = open(sys.argv[1], "rb").read()
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_listing_file(data, filename="bomb.xlsx", max_bytes=5_000_000)
        message = None
    except ValidationError as error:
        message = str(error)
    seconds = time.perf_counter() - started
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"message": message, "seconds": seconds,
                      "growth_mb": (after_kb - before_kb) / 1024, "peak_mb": after_kb / 1024}))
    """
)


def test_a_150_kb_workbook_that_unpacks_to_150_mb_is_refused_quickly_and_lightly(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bomb.xlsx"
    # Just under the old guard (30 x 5 MB), which let it through to openpyxl.
    size = _bomb(path, inflated_bytes=149_900_000)
    assert size < 200_000  # about 150 kB on disk
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["message"] is not None and "unpacks to 149,9" in measured["message"]
    assert measured["seconds"] < 2.0, measured
    assert measured["growth_mb"] < 100, measured


def test_a_normal_workbook_still_reads() -> None:
    frame = read_listing_file(_workbook([HEADER, ROW]), filename="ok.xlsx")
    assert list(frame["title"]) == ["Pallethout"]


def _with_shared_strings(data: bytes, count: int) -> bytes:
    """The workbook plus a shared-string table of ``count`` texts (as Excel writes one)."""
    items = "".join(f"<si><t>Tekst {n}</t></si>" for n in range(count))
    table = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{count}" uniqueCount="{count}">{items}</sst>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            out.writestr(info, source.read(info.filename))
        out.writestr("xl/sharedStrings.xml", table)
    return buffer.getvalue()


def test_too_many_shared_strings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "XLSX_MAX_SHARED_STRINGS", 50)
    ok = _with_shared_strings(_workbook([HEADER, ROW]), 50)
    assert read_listing_file(ok, filename="ok.xlsx").shape[0] == 1
    many = _with_shared_strings(_workbook([HEADER, ROW]), 51)
    with pytest.raises(ValidationError, match="more than 50 different texts"):
        read_listing_file(many, filename="many.xlsx")


def test_too_many_cells_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _workbook([HEADER, ROW, [*ROW[:1], "need", *ROW[2:]]])
    monkeypatch.setattr(reader, "XLSX_MAX_CELLS", 20)
    with pytest.raises(ValidationError, match="more than 20 cells"):
        read_listing_file(data, filename="wide.xlsx")
