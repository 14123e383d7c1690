"""Transport modes on the form, the import and the export; the service area; accepted-code
warnings on the form and the import preview (issue 8, web side)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import ConfigError, load_config
from marketplace.accounts.models import User
from marketplace.accounts.services import Errors
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.listings.test_listings import NEED, OFFER, field_errors, post_listing

MUENSTER = ("7.6261", "51.9607")
COPENHAGEN = ("12.5683", "55.6761")
AMSTERDAM = ("4.9000", "52.3700")


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.fixture
def member(db_session: Any) -> User:
    user = make_user(organisation=factories.organisation(name="Havenbedrijf Deventer BV"))
    db_session.commit()
    return user


def only_listing() -> Listing:
    db.session.expire_all()
    [listing] = db.session.scalars(sa.select(Listing)).all()
    return listing


# Transport modes on the form -----------------------------------------------------------------


def test_a_need_keeps_both_transport_modes_from_the_form_and_shows_them(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    data = NEED | {
        "transport_mode": "barge",
        "current_source": "virgin",
        "current_source_km": "80",
        "current_source_transport_mode": "rail",
    }
    response = post_listing(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    need = only_listing()
    assert (need.transport_mode, need.current_source_transport_mode) == ("barge", "rail")

    edit = client.get(f"/listings/{need.public_id}/edit").get_data(as_text=True)
    assert re.search(
        r'<option[^>]*selected[^>]*value="barge"|<option[^>]*value="barge"[^>]*selected', edit
    )
    assert re.search(
        r'<option[^>]*selected[^>]*value="rail"|<option[^>]*value="rail"[^>]*selected', edit
    )
    detail = client.get(f"/listings/{need.public_id}").get_data(as_text=True)
    assert re.search(r'id="transport-mode">\s*inland barge\s*<', detail)
    assert "virgin (primary) material, 80 km (rail)" in detail


def test_an_offer_without_a_mode_goes_by_truck_and_has_no_current_source_mode(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    assert post_listing(client, OFFER).status_code == 302
    offer = only_listing()
    assert (offer.transport_mode, offer.current_source_transport_mode) == ("truck", None)


def test_a_need_without_a_current_source_mode_is_supplied_by_truck(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    assert post_listing(client, NEED | {"transport_mode": "rail"}).status_code == 302
    need = only_listing()
    assert (need.transport_mode, need.current_source_transport_mode) == ("rail", "truck")


@pytest.mark.parametrize("field", ["transport_mode", "current_source_transport_mode"])
def test_an_unknown_mode_is_refused_naming_the_allowed_modes(
    client: FlaskClient, member: User, field: str
) -> None:
    login(client, member)
    response = post_listing(client, NEED | {field: "zeppelin"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field) == [
        "&#39;zeppelin&#39; is not a transport mode; choose one of: truck, inland barge, rail, "
        "sea ship, pipeline."
    ]
    assert count(Listing) == 0


def test_an_offer_cannot_state_how_a_current_supply_travels(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    response = post_listing(client, OFFER | {"current_source_transport_mode": "barge"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "current_source_transport_mode") == [
        "This field is for needs only."
    ]
    assert count(Listing) == 0


# The service area ------------------------------------------------------------------------------


def map_point(lon: str, lat: str) -> dict[str, str]:
    return OFFER | {"location_mode": "map", "lon": lon, "lat": lat}


def test_a_point_in_muenster_lies_in_the_default_area_of_the_netherlands_plus_50_km(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    response = post_listing(client, map_point(*MUENSTER))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    listing = only_listing()
    assert (listing.lon, listing.lat) == (7.6261, 51.9607)
    assert (listing.postcode, listing.municipality_code) == (None, None)


def test_a_point_in_copenhagen_is_refused_naming_the_point_and_the_area(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    response = post_listing(client, map_point(*COPENHAGEN))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "lat") == [
        "The point (lon 12.5683, lat 55.6761) lies outside the service area of this "
        "marketplace (the Netherlands plus 50 km)."
    ]
    assert count(Listing) == 0


def test_the_refusal_is_in_dutch_for_a_dutch_reader(client: FlaskClient, db_session: Any) -> None:
    user = factories.user(locale="nl", organisation=factories.organisation())
    db_session.commit()
    login(client, user)
    response = post_listing(client, map_point(*COPENHAGEN))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "lat") == [
        "Het punt (lon 12.5683, lat 55.6761) ligt buiten het werkgebied van deze marktplaats "
        "(Nederland plus 50 km)."
    ]


def test_a_configured_area_replaces_the_default(
    app: Flask, client: FlaskClient, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SERVICE_AREA", "cleantech_regio")
    monkeypatch.setitem(app.config, "SERVICE_AREA_BUFFER_KM", 10.0)
    login(client, member)
    for lon, lat in (MUENSTER, AMSTERDAM):
        response = post_listing(client, map_point(lon, lat))
        assert response.status_code == 422
        [message] = field_errors(response.get_data(as_text=True), "lat")
        assert message.endswith("(the Cleantech Regio plus 10 km).")
        assert f"(lon {lon}, lat {lat})" in message
    # Deventer lies in the region
    assert post_listing(client, map_point("6.1593", "52.2525")).status_code == 302


def test_an_organisation_site_outside_the_area_is_refused(
    app: Flask, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.accounts.organisations import locate_postcode

    monkeypatch.setitem(app.config, "SERVICE_AREA", "cleantech_regio")
    monkeypatch.setitem(app.config, "SERVICE_AREA_BUFFER_KM", 0.0)
    errors: Errors = {}
    with app.test_request_context("/?lang=en"):
        assert locate_postcode("7411 AA", errors=errors) is not None  # Deventer
        assert errors == {}
        assert locate_postcode("1012 AB", errors=errors) is None  # Amsterdam
    [message] = errors["postcode"]
    assert "lies outside the service area" in message
    assert message.endswith("(the Cleantech Regio).")


@pytest.mark.parametrize(
    ("environ", "settings"),
    [
        ({}, ("NL", 50.0)),
        ({"RESTSTROOM_SERVICE_AREA": "cleantech_regio"}, ("cleantech_regio", 50.0)),
        (
            {
                "RESTSTROOM_SERVICE_AREA": "5.7,52.0,6.9,52.5",
                "RESTSTROOM_SERVICE_AREA_BUFFER_KM": "0",
            },
            ("5.7,52.0,6.9,52.5", 0.0),
        ),
    ],
)
def test_the_service_area_settings_are_read_once_from_the_environment(
    environ: dict[str, str], settings: tuple[str, float]
) -> None:
    config = load_config("testing", environ)
    assert (config["SERVICE_AREA"], config["SERVICE_AREA_BUFFER_KM"]) == settings


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"RESTSTROOM_SERVICE_AREA": "atlantis"}, "RESTSTROOM_SERVICE_AREA='atlantis'"),
        ({"RESTSTROOM_SERVICE_AREA": "5,52,4,53"}, "RESTSTROOM_SERVICE_AREA='5,52,4,53'"),
        (
            {"RESTSTROOM_SERVICE_AREA_BUFFER_KM": "-5"},
            "RESTSTROOM_SERVICE_AREA_BUFFER_KM='-5'",
        ),
        (
            {"RESTSTROOM_SERVICE_AREA_BUFFER_KM": "far"},
            "RESTSTROOM_SERVICE_AREA_BUFFER_KM='far'",
        ),
    ],
)
def test_a_bad_service_area_setting_stops_the_start_naming_the_variable(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config("testing", environ)
    assert str(raised.value).startswith(named)


# Accepted-code warnings -------------------------------------------------------------------------

FEED_NEED = NEED | {"accepted_ewc_codes": "02 07 02; 02 02 03"}
ABP_WARNING = (
    "Accepted EWC code 02 02 03 cannot supply animal feed: animal by-products are kept out of "
    "feed for farmed animals (Regulation (EC) No 1069/2009, Art. 11; Regulation (EC) No "
    "999/2001, Art. 7 and Annex IV). Offers under this code are not proposed for this need."
)


def test_a_feed_need_accepting_an_animal_by_product_is_saved_with_a_warning(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    response = post_listing(client, FEED_NEED)
    assert response.status_code == 302
    assert only_listing().accepted_ewc_codes == ("02 02 03", "02 07 02")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<div class="flash flash-warning" role="status">{ABP_WARNING}</div>' in page


def test_the_form_shows_the_warning_next_to_its_errors(client: FlaskClient, member: User) -> None:
    login(client, member)
    response = post_listing(client, FEED_NEED | {"title": ""})
    assert response.status_code == 422
    box = response.get_data(as_text=True).split('id="accepted-code-warnings"', 1)[1]
    assert ABP_WARNING in box.split("</div>", 1)[0]


def test_a_need_with_allowed_codes_gets_no_warning(client: FlaskClient, member: User) -> None:
    login(client, member)
    response = post_listing(client, NEED | {"accepted_ewc_codes": "02 07 02", "title": ""})
    assert response.status_code == 422
    assert "accepted-code-warnings" not in response.get_data(as_text=True)


def test_the_form_help_explains_accepted_codes(client: FlaskClient, member: User) -> None:
    login(client, member)
    html = client.get("/listings/new").get_data(as_text=True)
    assert (
        "Accepted EWC codes: exactly the offers under these codes qualify, whatever their "
        "category; the listing shows the category of the first code." in html
    )


# Import and export -----------------------------------------------------------------------------

HEADER = ["ref", "kind", "title", "material", "ewc_code", "quantity", "unit", "postcode"]
MODES = ["transport_mode", "current_source_transport_mode"]


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode()


def upload(client: FlaskClient, body: bytes) -> Any:
    return client.post(
        "/listings/import",
        data={"file": (io.BytesIO(body), "lijst.csv")},
        content_type="multipart/form-data",
    )


def confirm(client: FlaskClient, html: str) -> None:
    token = re.search(r'name="token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="token"', html
    )
    assert token, html[:3000]
    assert client.post("/listings/import/confirm", data={"token": token[1]}).status_code == 302


def by_ref() -> dict[str, Listing]:
    db.session.expire_all()
    return {item.ref: item for item in db.session.scalars(sa.select(Listing))}


def test_imported_modes_are_stored_and_exported_again(client: FlaskClient, member: User) -> None:
    login(client, member)
    body = csv_file(
        [*HEADER, *MODES],
        [
            ["P-1", "offer", "Zand per schip", "", "01 04 09", "800", "t", "7411 AA", "barge", ""],
            [
                "P-2",
                "need",
                "Zand",
                "minerals.sand",
                "",
                "500",
                "t",
                "",
                "binnenvaart",
                "rail",
            ],
        ],
    )
    preview = upload(client, body)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    confirm(client, preview.get_data(as_text=True))
    rows = by_ref()
    assert (rows["P-1"].transport_mode, rows["P-1"].current_source_transport_mode) == (
        "barge",
        None,
    )
    assert (rows["P-2"].transport_mode, rows["P-2"].current_source_transport_mode) == (
        "barge",
        "rail",
    )

    exported = client.get(f"/listings/export.csv?organisation={member.organisation.public_id}")
    records = {r["ref"]: r for r in csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig")))}
    assert (records["P-1"]["transport_mode"], records["P-1"]["current_source_transport_mode"]) == (
        "barge",
        "",
    )
    assert (records["P-2"]["transport_mode"], records["P-2"]["current_source_transport_mode"]) == (
        "barge",
        "rail",
    )


def test_a_file_without_mode_columns_goes_by_truck(client: FlaskClient, member: User) -> None:
    login(client, member)
    body = csv_file(
        HEADER,
        [
            ["O-1", "offer", "Zand", "", "01 04 09", "800", "t", "7411 AA"],
            ["O-2", "need", "Zand", "minerals.sand", "", "500", "t", ""],
        ],
    )
    confirm(client, upload(client, body).get_data(as_text=True))
    rows = by_ref()
    assert (rows["O-1"].transport_mode, rows["O-1"].current_source_transport_mode) == (
        "truck",
        None,
    )
    assert (rows["O-2"].transport_mode, rows["O-2"].current_source_transport_mode) == (
        "truck",
        "truck",
    )


def test_an_unknown_mode_in_a_file_is_refused_with_row_and_column(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    body = csv_file(
        [*HEADER, "transport_mode"],
        [["Z-1", "offer", "Zand", "", "01 04 09", "800", "t", "7411 AA", "zeppelin"]],
    )
    html = upload(client, body).get_data(as_text=True)
    problems = html.split('id="import-problems"', 1)[1].split("</table>", 1)[0]
    assert "transport_mode" in problems and "zeppelin" in problems
    assert count(Listing) == 0


def test_the_import_preview_shows_feed_law_warnings_and_still_imports(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    body = csv_file(
        [*HEADER, "transport_mode"],
        [
            ["V-1", "offer", "Bostel", "", "02 07 02", "10", "t", "7411 AA", ""],
            [
                "V-2",
                "need",
                "Veevoer",
                "organics.animal_feed",
                "02 07 02;20 01 08",
                "50",
                "t",
                "",
                "",
            ],
        ],
    )
    html = upload(client, body).get_data(as_text=True)
    box = html.split('id="import-warnings"', 1)[1].split("</div>", 1)[0]
    assert "Row 3: Accepted EWC code 20 01 08 cannot supply animal feed: catering and kitchen " in (
        re.sub(r"\s+", " ", box)
    )
    assert "Regulation (EC) No 1069/2009, Art. 11(1)(b)" in box
    confirm(client, html)
    assert by_ref()["V-2"].accepted_ewc_codes == ("02 07 02", "20 01 08")


def test_the_import_page_offers_the_template_and_the_mode_columns(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    html = client.get("/listings/import").get_data(as_text=True)
    assert "/listings/template.csv" in html
    assert "/listings/template.xlsx" in html
    assert "<code>transport_mode</code>" in html
    assert "<code>current_source_transport_mode</code>" in html


def test_every_feed_law_rule_of_the_engine_has_its_words_in_the_web_app() -> None:
    from flows.legal import FEED_BANS
    from marketplace.listings.rules import _feed_rules

    assert {ban.rule for ban in FEED_BANS} == set(_feed_rules())


def test_the_warnings_are_the_refusals_of_the_engine(app: Flask) -> None:
    from flows.legal import refusals_for_need
    from marketplace.listings.rules import accepted_code_warnings

    codes = ["02 07 02", "20 01 08", "02 01 06", "15 01 01", "04 02 22"]
    with app.test_request_context("/?lang=en"):
        warnings = accepted_code_warnings("need", "; ".join(codes), "organics.animal_feed")
        assert accepted_code_warnings("need", codes, "organics.biogas_feedstock") == []
        assert accepted_code_warnings("offer", codes, "organics.animal_feed") == []
    assert len(warnings) == len(refusals_for_need(codes, "organics.animal_feed")) == 3
    assert [w.split()[3] for w in warnings] == ["20", "02", "15"]
    assert "faeces, urine and manure are prohibited in feed" in warnings[1]
