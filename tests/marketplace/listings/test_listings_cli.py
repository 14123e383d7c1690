"""``flask listings import`` and ``flask listings export``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flows.listing_file import parse_listings, read_listing_file
from marketplace.accounts.models import Organisation
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import count

GOOD = (
    "ref;organisation;kind;title;ewc_code;quantity;unit;postcode\n"
    "p1;;offer;Pallethout;03 01 05;12,5;t;7201 AA\n"
    "p2;;need;Snippers;03 01 05;40;t;\n"
)


@pytest.fixture
def firm(db_session: Any) -> Organisation:
    org = factories.organisation(name="Houtbewerking Twello BV", kvk="12345678")
    db_session.commit()
    return org


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["listings", *args])


def write(tmp_path: Path, text: str, name: str = "lijst.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "organisation", ["Houtbewerking Twello BV", "houtbewerking twello bv", "12345678"]
)
def test_import_writes_every_row_for_the_named_organisation(
    app: Flask, firm: Organisation, tmp_path: Path, organisation: str
) -> None:
    path = write(tmp_path, GOOD)
    result = invoke(app, "import", str(path), "--organisation", organisation)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}: 2 to create, 0 to update",
        "imported: 2 created, 0 updated",
    ]
    rows = db.session.execute(
        sa.select(Listing.ref, Listing.organisation_id, Listing.quantity, Listing.status).order_by(
            Listing.ref
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("p1", firm.id, 12.5, "active"),
        ("p2", firm.id, 40.0, "active"),
    ]
    assert count(AuditEntry) == 0  # the command line is an operator, not a user


def test_a_dry_run_checks_and_reports_but_writes_nothing(
    app: Flask, firm: Organisation, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    result = invoke(app, "import", str(path), "--organisation", firm.name, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}: 2 to create, 0 to update",
        "dry run: nothing written",
    ]
    assert count(Listing) == 0


def test_a_second_import_updates_by_ref(app: Flask, firm: Organisation, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert invoke(app, "import", str(path), "--organisation", firm.name).exit_code == 0
    ids = set(db.session.scalars(sa.select(Listing.id)))
    changed = write(tmp_path, GOOD.replace("12,5", "99"), "v2.csv")
    result = invoke(app, "import", str(changed), "--organisation", firm.name)
    assert result.exit_code == 0, result.output
    assert "imported: 0 created, 2 updated" in result.stdout
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Listing.id))) == ids
    assert db.session.scalar(sa.select(Listing.quantity).where(Listing.ref == "p1")) == 99.0


def test_errors_exit_2_and_list_every_problem(
    app: Flask, firm: Organisation, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "ref;kind;title;ewc_code;quantity;unit;postcode\n"
        "e1;offer;Geen code;;5;t;7201\n"
        "e2;ruil;Hout;03 01 05;veel;t;7201\n"
        "e3;offer;Hout;03 01 05;5;t;1000\n",
    )
    result = invoke(app, "import", str(path), "--organisation", firm.name)
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert errors[0] == f"{path}: 4 problem(s); nothing was imported:"
    located = [line.split(":")[0].strip() for line in errors[1:]]
    assert located == [
        "row 2, column 'ewc_code'",
        "row 3, column 'kind'",
        "row 3, column 'quantity'",
        "row 4, column 'postcode'",
    ]
    assert count(Listing) == 0


def test_unknown_organisations_are_refused_unless_they_may_be_created(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "ref,organisation,kind,title,ewc_code,quantity,unit,postcode\n"
        "n1,Nieuw Bedrijf BV,offer,Hout,03 01 05,5,t,7201\n"
        "n2,Nieuw Bedrijf BV,need,Snippers,03 01 05,5,t,7411\n"
        "n3,Ander Nieuw BV,offer,Puin,17 01 01,5,t,7311\n",
    )
    refused = invoke(app, "import", str(path))
    assert refused.exit_code == 2
    assert "organisation 'Nieuw Bedrijf BV' is unknown" in refused.stderr
    assert "organisation 'Ander Nieuw BV' is unknown" in refused.stderr
    assert count(Organisation) == 0

    dry = invoke(app, "import", str(path), "--create-organisations", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "new organisations: Nieuw Bedrijf BV, Ander Nieuw BV" in dry.stdout
    assert count(Organisation) == 0

    created = invoke(app, "import", str(path), "--create-organisations")
    assert created.exit_code == 0, created.output
    owners = dict(
        db.session.execute(
            sa.select(Listing.ref, Organisation.name).join(Listing.organisation)
        ).all()
    )
    assert owners == {"n1": "Nieuw Bedrijf BV", "n2": "Nieuw Bedrijf BV", "n3": "Ander Nieuw BV"}
    assert count(Organisation) == 2


def test_an_unknown_organisation_option_is_an_error(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    result = invoke(app, "import", str(write(tmp_path, GOOD)), "--organisation", "Niemand BV")
    assert result.exit_code == 1
    assert "organisation 'Niemand BV' not found" in result.output
    assert count(Listing) == 0


def test_a_missing_file_is_a_usage_error(app: Flask, db_session: Any, tmp_path: Path) -> None:
    assert invoke(app, "import", str(tmp_path / "weg.csv")).exit_code == 2


@pytest.mark.parametrize("name", ["markt.csv", "markt.xlsx"])
def test_export_writes_the_active_market_in_the_import_format(
    app: Flask, firm: Organisation, tmp_path: Path, name: str
) -> None:
    factories.listing(organisation=firm, ref="x1", title="Actief")
    factories.listing(organisation=firm, ref="x2", title="Concept", status="draft")
    factories.listing(organisation=firm, ref="x3", title="Anoniem", visibility="anonymous")
    db.session.commit()
    path = tmp_path / name
    result = invoke(app, "export", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"2 listings written to {path}"
    listings = parse_listings(read_listing_file(path), require_organisation=True)
    assert listings["title"].tolist() == ["Actief", "Anoniem"]
    # the operator's export is complete, anonymous firms included
    assert set(listings["organisation"]) == {firm.name}
    assert listings["ref"].tolist() == ["x1", "x3"]


def test_export_of_one_organisation_includes_its_drafts(
    app: Flask, firm: Organisation, tmp_path: Path
) -> None:
    factories.listing(organisation=firm, ref="x1", title="Actief")
    factories.listing(organisation=firm, ref="x2", title="Concept", status="draft")
    factories.listing(title="Van een ander")
    db.session.commit()
    path = tmp_path / "eigen.dat"
    result = invoke(app, "export", str(path), "--organisation", "12345678", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    listings = parse_listings(read_listing_file(path, filename="eigen.xlsx"))
    assert sorted(listings["ref"]) == ["x1", "x2"]
