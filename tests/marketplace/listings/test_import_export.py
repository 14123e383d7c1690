"""Import through the pages (upload, preview, confirm) and export, in every accepted dialect."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from geo.geocode import geocode_postcode
from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingAcceptedCode
from tests import factories
from tests.marketplace.helpers import count, login, make_user


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # previews are kept under the instance folder between upload and confirmation
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.fixture
def member(db_session: Any) -> User:
    user = make_user(organisation=factories.organisation(name="Houtbewerking Twello BV"))
    db_session.commit()
    return user


HEADER = ["ref", "kind", "title", "material", "ewc_code", "quantity", "unit", "postcode"]
ROWS = [
    ["H-1", "offer", "Café pallethout", "", "03 01 05", "12.5", "t", "7201 AA"],
    ["H-2", "vraag", "Houtsnippers", "organics.biomass_fuel", "03 01 05;03 01 01", "1250", "t", ""],
]


def csv_bytes(
    rows: list[list[str]] = ROWS,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    decimal_comma: bool = False,
) -> bytes:
    lines = [HEADER, *rows]
    if decimal_comma:
        lines = [[c.replace(".", ",") if i == 5 else c for i, c in enumerate(r)] for r in lines]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(lines)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[str]] = ROWS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "listings"
    sheet.append(HEADER)
    for row in rows:
        # quantities as number cells, as Excel stores them
        sheet.append([float(c) if i == 5 else c for i, c in enumerate(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: FlaskClient, body: bytes, filename: str, **fields: str) -> Any:
    return client.post(
        "/listings/import",
        data={"file": (io.BytesIO(body), filename), **fields},
        content_type="multipart/form-data",
    )


def token_of(html: str) -> str:
    match = re.search(r'name="token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="token"', html
    )
    assert match, "no confirmation token on the preview page"
    return match[1]


def problems_of(html: str) -> list[tuple[str, str, str]]:
    """(row, column, message) of every problem in the import problems table."""
    box = html.split('id="import-problems"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", box, re.S)
    return [(r.strip(), c.strip(), m.strip()) for r, c, m in cells]


DIALECTS = [
    pytest.param(csv_bytes(), "lijst.csv", id="comma"),
    pytest.param(csv_bytes(delimiter=";"), "lijst.csv", id="semicolon"),
    pytest.param(csv_bytes(delimiter="\t"), "lijst.txt", id="tab"),
    pytest.param(b"\xef\xbb\xbf" + csv_bytes(delimiter=";"), "lijst.csv", id="utf8 BOM"),
    pytest.param(csv_bytes(delimiter=";", decimal_comma=True), "lijst.csv", id="decimal comma"),
    pytest.param(csv_bytes(delimiter=";", encoding="cp1252"), "lijst.csv", id="windows-1252"),
    pytest.param(
        "\ufeff".encode("utf-16-le") + csv_bytes().decode().encode("utf-16-le"),
        "lijst.csv",
        id="utf16 BOM",
    ),
    pytest.param(xlsx_bytes(), "lijst.xlsx", id="xlsx"),
]


@pytest.mark.parametrize(("body", "filename"), DIALECTS)
def test_a_good_file_in_any_dialect_is_previewed_first_and_written_on_confirmation(
    client: FlaskClient, member: User, body: bytes, filename: str
) -> None:
    login(client, member)
    preview = upload(client, body, filename)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    html = preview.get_data(as_text=True)
    assert "2 new listings, 0 updates." in html
    assert "Café pallethout" in html
    assert count(Listing) == 0  # a preview writes nothing

    confirmed = client.post("/listings/import/confirm", data={"token": token_of(html)})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith(
        f"/listings/mine?organisation={member.organisation.public_id}"
    )
    offer, need = db.session.scalars(sa.select(Listing).order_by(Listing.ref)).all()
    assert (offer.ref, offer.kind, offer.title, offer.status) == (
        "H-1",
        "offer",
        "Café pallethout",
        "active",
    )
    assert (offer.material, offer.ewc_code, offer.quantity, offer.unit) == (
        "organics.wood.residues",
        "03 01 05",
        12.5,
        "t",
    )
    assert (offer.lon, offer.lat) == geocode_postcode("7201")
    assert (offer.postcode, offer.municipality_code) == ("7201 AA", "GM0301")
    assert (need.ref, need.kind, need.material, need.quantity) == (
        "H-2",
        "need",
        "organics.biomass_fuel",
        1250.0,
    )
    assert need.accepted_ewc_codes == ("03 01 01", "03 01 05")
    # a row without location falls back on the organisation's site
    org = member.organisation
    assert (need.lon, need.lat, need.postcode) == (org.lon, org.lat, org.postcode)
    assert {offer.organisation_id, need.organisation_id} == {org.id}
    assert count(AuditEntry) == 0  # the firm imports for itself


def test_re_importing_a_ref_updates_that_listing_instead_of_adding_one(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    html = upload(client, csv_bytes(), "v1.csv").get_data(as_text=True)
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    first_ids = dict(db.session.execute(sa.select(Listing.ref, Listing.id)).all())

    changed = [["H-1", "offer", "Pallethout (droog)", "", "03 01 05", "40", "t", "7201 AA"]]
    preview = upload(client, csv_bytes(changed), "v2.csv").get_data(as_text=True)
    assert "0 new listings, 1 updates." in preview
    client.post("/listings/import/confirm", data={"token": token_of(preview)})
    db.session.expire_all()
    assert count(Listing) == 2
    updated = db.session.scalars(sa.select(Listing).where(Listing.ref == "H-1")).one()
    assert updated.id == first_ids["H-1"]
    assert (updated.title, updated.quantity) == ("Pallethout (droog)", 40.0)


def test_a_bad_file_shows_every_problem_with_row_and_column_and_writes_nothing(
    client: FlaskClient, member: User
) -> None:
    rows = [
        ["B-1", "offer", "Zonder code", "organics.wood.residues", "", "5", "t", "7201"],
        ["B-2", "ruil", "Onbekende soort", "", "03 01 05", "5", "t", "7201"],
        ["B-3", "offer", "Negatief", "", "03 01 05", "-5", "t", "7201"],
        ["B-4", "offer", "Onbekende postcode", "", "03 01 05", "5", "t", "1000"],
        ["B-1", "offer", "Dubbel", "", "03 01 05", "5", "lb", "7201"],
    ]
    login(client, member)
    response = upload(client, csv_bytes(rows), "fout.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    problems = problems_of(html)
    where = {(row, column) for row, column, _ in problems}
    assert {
        ("2", "ewc_code"),
        ("3", "kind"),
        ("4", "quantity"),
        ("5", "postcode"),
        ("6", "ref"),
        ("6", "unit"),
    } <= where
    assert f"{len(problems)} problems found in fout.csv. Nothing was imported." in html
    assert any("&#39;ruil&#39;" in message for _, _, message in problems)
    assert count(Listing) == 0
    assert not list(Path(client.application.instance_path).glob("imports/*.bin"))


def test_a_file_over_the_configured_size_is_refused_with_a_clear_message(
    client: FlaskClient, member: User, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = csv_bytes()
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", len(body) - 1)
    login(client, member)
    response = upload(client, body, "groot.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"the file is larger than {len(body) - 1:,} bytes" in html
    assert count(Listing) == 0


def test_a_file_at_the_configured_size_is_accepted(
    client: FlaskClient, member: User, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = csv_bytes()
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", len(body))
    login(client, member)
    assert upload(client, body, "precies.csv").status_code == 200


@pytest.mark.parametrize(
    ("body", "filename", "expected"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "oud.xls", ".xls"),
        (b"", "leeg.csv", "empty"),
        (b"ref,kind,title,colour\nx,offer,t,red\n", "kolom.csv", "colour"),
    ],
)
def test_a_file_that_is_no_listing_file_is_refused_with_the_reason(
    client: FlaskClient, member: User, body: bytes, filename: str, expected: str
) -> None:
    login(client, member)
    response = upload(client, body, filename)
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    assert count(Listing) == 0


def test_an_upload_without_a_file_is_refused(client: FlaskClient, member: User) -> None:
    login(client, member)
    response = client.post("/listings/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_a_member_cannot_confirm_another_users_upload(
    client: FlaskClient, app: Flask, member: User
) -> None:
    colleague = make_user(organisation=member.organisation)
    db.session.commit()
    login(client, member)
    token = token_of(upload(client, csv_bytes(), "lijst.csv").get_data(as_text=True))
    other = app.test_client()
    login(other, colleague)
    assert other.post("/listings/import/confirm", data={"token": token}).status_code == 403
    assert count(Listing) == 0
    # the uploader still can
    assert client.post("/listings/import/confirm", data={"token": token}).status_code == 302
    assert count(Listing) == 2


@pytest.mark.parametrize(
    "token",
    [
        "",
        "../../etc/passwd",
        "nonexistent-token",
        "x" * 65,
        "x" * 300,
        "é" * 10,
        "ｔｏｋｅｎ",
        "token\n",
        "a b",
    ],
)
def test_a_forged_token_is_refused(client: FlaskClient, member: User, token: str) -> None:
    login(client, member)
    response = client.post("/listings/import/confirm", data={"token": token})
    assert response.status_code in (400, 403)
    assert count(Listing) == 0


@pytest.mark.parametrize("token", ["ｔｏｋｅｎ", "tökén", "٣٣٣"])
def test_a_token_of_non_ascii_letters_or_digits_never_reaches_the_file_system(
    client: FlaskClient, app: Flask, member: User, token: str
) -> None:
    # Even a stored preview under such a name is not loaded: only A-Z, a-z, 0-9, - and _.
    folder = Path(app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.bin").write_bytes(csv_bytes())
    meta = f'{{"filename": "x.csv", "user_id": {member.id}, "organisation_id": null}}'
    (folder / f"{token}.json").write_text(meta, encoding="utf-8")
    login(client, member)
    response = client.post("/listings/import/confirm", data={"token": token})
    assert response.status_code == 403
    assert count(Listing) == 0


def test_the_longest_token_allowed_is_looked_up(app: Flask, member: User) -> None:
    from marketplace.listings.transfer import load_upload

    token = "A-_z09" * 10 + "abcd"
    folder = Path(app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.bin").write_bytes(b"data")
    meta = f'{{"filename": "x.csv", "user_id": {member.id}, "organisation_id": null}}'
    (folder / f"{token}.json").write_text(meta, encoding="utf-8")
    assert len(token) == 64
    assert load_upload(token, user_id=member.id) == (b"data", "x.csv", None)


def test_a_confirmed_token_cannot_be_replayed(client: FlaskClient, member: User) -> None:
    login(client, member)
    token = token_of(upload(client, csv_bytes(), "lijst.csv").get_data(as_text=True))
    assert client.post("/listings/import/confirm", data={"token": token}).status_code == 302
    assert client.post("/listings/import/confirm", data={"token": token}).status_code == 403
    assert count(Listing) == 2


def test_a_coordinator_imports_rows_for_the_firms_they_name(
    client: FlaskClient, member: User
) -> None:
    coordinator = make_user(role="coordinator")
    other = factories.organisation(name="Warmte Zutphen BV", kvk="87654321")
    db.session.commit()
    header = "ref,organisation,kind,title,ewc_code,quantity,unit,postcode\n"
    body = (
        header
        + "c1,Houtbewerking Twello BV,offer,Hout,03 01 05,3,t,7201\n"
        + "c2,87654321,need,Snippers,03 01 05,4,t,7201\n"
    ).encode()
    login(client, coordinator)
    html = upload(client, body, "regio.csv", organisation="").get_data(as_text=True)
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    owners = dict(db.session.execute(sa.select(Listing.ref, Listing.organisation_id)).all())
    assert owners == {"c1": member.organisation_id, "c2": other.id}
    actions = sorted(db.session.scalars(sa.select(AuditEntry.action)).all())
    assert actions == ["listing.import.create", "listing.import.create"]


def test_a_ref_given_twice_for_one_firm_by_name_and_by_kvk_is_a_problem_of_the_preview(
    client: FlaskClient, member: User
) -> None:
    coordinator = make_user(role="coordinator")
    member.organisation.kvk = "12345678"
    db.session.commit()
    body = (
        b"ref,organisation,kind,title,ewc_code,quantity,unit,postcode\n"
        b"X1,Houtbewerking Twello BV,offer,Hout,03 01 05,3,t,7201\n"
        b"X2,Houtbewerking Twello BV,offer,Zaagsel,03 01 05,3,t,7201\n"
        b"X1,12345678,offer,Snippers,03 01 05,4,t,7201\n"
    )
    login(client, coordinator)
    response = upload(client, body, "regio.csv", organisation="")
    assert response.status_code == 422
    assert problems_of(response.get_data(as_text=True)) == [
        (
            "4",
            "ref",
            "ref &#39;X1&#39; is already used on row 2 for organisation "
            "&#39;Houtbewerking Twello BV&#39;; a ref must be unique per organisation",
        )
    ]
    assert count(Listing) == 0


def test_the_import_page_says_that_new_rows_are_published(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    html = client.get("/listings/import").get_data(as_text=True)
    assert "published (active) at once" in html


# Export -> import round trip ---------------------------------------------------------------------

ROUND_TRIP_FIELDS = (
    "ref",
    "kind",
    "title",
    "description",
    "material",
    "ewc_code",
    "accepted_ewc_codes",
    "quantity",
    "unit",
    "frequency",
    "available_from",
    "available_until",
    "lon",
    "lat",
    "postcode",
    "municipality_code",
    "max_distance_km",
    "current_route",
    "current_source",
    "current_source_km",
    "visibility",
)


def snapshot(organisation_id: int) -> dict[str, dict[str, Any]]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Listing).where(Listing.organisation_id == organisation_id)
    ).all()
    return {r.ref or "": {f: getattr(r, f) for f in ROUND_TRIP_FIELDS} for r in rows}


def assert_same_listings(
    after: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]]
) -> None:
    assert sorted(after) == sorted(before)
    differences = [
        (ref, name, value, after[ref][name])
        for ref, fields in before.items()
        for name, value in fields.items()
        if after[ref][name] != value
    ]
    assert not differences, differences


@pytest.fixture
def varied(member: User) -> Organisation:
    """Listings of every shape the file format carries."""
    org = member.organisation
    zutphen = geocode_postcode("7201")
    factories.listing(
        organisation=org,
        ref="A1",
        title="=SUM(A1:A9) pallets",
        material="organics.wood.residues",
        ewc_code="03 01 05",
        quantity=1234.5,
        frequency="month",
        description='Droog, "schoon"\nopgeslagen binnen',
        current_route="incineration",
        available_from=date(2026, 1, 1),
        available_until=date(2026, 12, 31),
    )
    factories.listing(
        organisation=org,
        ref="A2",
        kind="need",
        title="Snippers",
        material="organics.biomass_fuel",
        quantity=1.234,
        unit="t",
        max_distance_km=42.5,
        current_source="virgin",
        current_source_km=120.0,
        visibility="anonymous",
        lon=zutphen[0],
        lat=zutphen[1],
        postcode="7201 AA",
        municipality_code="GM0301",
        accepted_codes=[
            ListingAcceptedCode(ewc_code="03 01 01"),
            ListingAcceptedCode(ewc_code="03 01 05"),
        ],
    )
    factories.listing(
        organisation=org,
        ref="A3",
        title="Restwarmte",
        material="energy.heat",
        ewc_code=None,
        quantity=800.0,
        unit="MWh",
        frequency="year",
        lon=6.05432,
        lat=52.23456,
        postcode=None,
        municipality_code="GM0285",  # Voorst
    )
    factories.listing(
        organisation=org,
        ref="A4",
        kind="need",
        title="Bierbostel gezocht",
        material="organics.animal_feed",
        quantity=3.0,
        frequency="week",
        max_distance_km=None,
        status="draft",
    )
    db.session.commit()
    return org


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exporting_and_re_importing_a_firms_listings_changes_nothing(
    client: FlaskClient, member: User, varied: Organisation, fmt: str
) -> None:
    before = snapshot(varied.id)
    login(client, member)
    exported = client.get(f"/listings/export.{fmt}?organisation={varied.public_id}")
    assert exported.status_code == 200
    html = upload(client, exported.data, f"export.{fmt}").get_data(as_text=True)
    assert "0 new listings, 4 updates." in html
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    assert_same_listings(snapshot(varied.id), before)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_re_imported_after_deleting_the_listings_recreates_them_identically(
    client: FlaskClient, member: User, varied: Organisation, fmt: str
) -> None:
    before = snapshot(varied.id)
    login(client, member)
    exported = client.get(f"/listings/export.{fmt}?organisation={varied.public_id}").data
    db.session.execute(sa.delete(ListingAcceptedCode))
    db.session.execute(sa.delete(Listing))
    db.session.commit()
    html = upload(client, exported, f"export.{fmt}").get_data(as_text=True)
    assert "4 new listings, 0 updates." in html
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    assert_same_listings(snapshot(varied.id), before)


FORM_OFFER = {
    "kind": "offer",
    "title": "Vertrouwelijk concept",
    "material": "organics.food_residues",
    "ewc_code": "02 07 04",
    "quantity": "5",
    "unit": "t",
    "frequency": "year",
    "location_mode": "site",
    "price_terms": "negotiable",
    "visibility": "public",
    "save_draft": "1",
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_listing_made_with_the_form_survives_export_and_import_unchanged(
    client: FlaskClient, member: User, varied: Organisation, fmt: str
) -> None:
    login(client, member)
    assert client.post("/listings/new", data=FORM_OFFER).status_code == 302
    made = db.session.scalars(sa.select(Listing).where(Listing.title == FORM_OFFER["title"])).one()
    before = snapshot(varied.id)
    exported = client.get(f"/listings/export.{fmt}?organisation={varied.public_id}").data
    html = upload(client, exported, f"export.{fmt}").get_data(as_text=True)
    assert "0 new listings, 5 updates." in html
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    assert_same_listings(snapshot(varied.id), before)
    db.session.refresh(made)
    assert made.status == "draft"  # an update keeps the status


def test_a_listing_stored_without_a_ref_is_found_again_by_the_ref_its_export_wrote(
    client: FlaskClient, member: User, varied: Organisation
) -> None:
    legacy = factories.listing(organisation=varied, title="Oud", status="paused")
    db.session.commit()
    assert legacy.ref is None
    login(client, member)
    exported = client.get(f"/listings/export.csv?organisation={varied.public_id}").data
    assert f"{legacy.public_id},".encode() in exported
    html = upload(client, exported, "export.csv").get_data(as_text=True)
    assert "0 new listings, 5 updates." in html
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    db.session.expire_all()
    assert count(Listing, Listing.organisation_id == varied.id) == 5
    assert (legacy.ref, legacy.title, legacy.status) == (legacy.public_id, "Oud", "paused")


@pytest.mark.parametrize(
    "ref_of", [lambda x: f"L{x.id}", lambda x: x.public_id], ids=["L-id", "public"]
)
def test_an_id_ref_never_reaches_another_firms_listing(
    client: FlaskClient, member: User, ref_of: Any
) -> None:
    others = factories.listing(title="Van een ander", quantity=7.0)
    db.session.commit()
    ref = ref_of(others)
    row = [ref, "offer", "Mijn eigen", "", "03 01 05", "3", "t", "7201 AA"]
    login(client, member)
    html = upload(client, csv_bytes([row]), "lijst.csv").get_data(as_text=True)
    assert "1 new listings, 0 updates." in html
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    db.session.expire_all()
    assert (others.ref, others.title, others.quantity) == (None, "Van een ander", 7.0)
    mine = db.session.scalars(
        sa.select(Listing).where(Listing.organisation_id == member.organisation_id)
    ).one()
    assert (mine.ref, mine.title, mine.status) == (ref, "Mijn eigen", "active")


def test_the_csv_export_escapes_spreadsheet_formulas(
    client: FlaskClient, member: User, varied: Organisation
) -> None:
    login(client, member)
    text = client.get(f"/listings/export.csv?organisation={varied.public_id}").data.decode(
        "utf-8-sig"
    )
    assert ",'=SUM(A1:A9) pallets," in text


def test_the_market_export_holds_only_active_listings(
    client: FlaskClient, member: User, varied: Organisation
) -> None:
    login(client, member)
    text = client.get("/listings/export.csv").data.decode("utf-8-sig")
    assert "Restwarmte" in text
    assert "Bierbostel gezocht" not in text  # a draft


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_downloads_and_passes_its_own_import_check(
    client: FlaskClient, app: Flask, db_session: Any, fmt: str
) -> None:
    coordinator = make_user(role="coordinator")
    factories.organisation(name="Houtbewerking Deventer BV")
    factories.organisation(name="Warmte Zutphen BV")
    db_session.commit()
    response = client.get(f"/listings/template.{fmt}")
    assert response.status_code == 200
    login(client, coordinator)
    html = upload(client, response.data, f"template.{fmt}", organisation="").get_data(as_text=True)
    assert "2 new listings, 0 updates." in html
