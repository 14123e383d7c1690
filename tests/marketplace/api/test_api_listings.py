"""``/api/v1/listings``: search, create, read, change, close, import; disclosure in JSON."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from marketplace.core.disclosure import municipality_points
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.api.conftest import Callers
from tests.marketplace.api.test_api_framework import assert_error
from tests.marketplace.helpers import count

NEW_OFFER = {
    "kind": "offer",
    "title": "Gipsplaatresten",
    "material": "minerals.gypsum",
    "ewc_code": "17 08 02",
    "quantity": 12.5,
    "unit": "t",
    "frequency": "month",
}


def test_the_market_lists_active_listings_in_pages(client: FlaskClient, callers: Callers) -> None:
    body = client.get("/api/v1/listings?per_page=2").get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2
    assert len(body["items"]) == 2
    second = client.get("/api/v1/listings?per_page=2&page=2").get_json()
    assert len(second["items"]) == 1
    ids = {item["id"] for item in body["items"] + second["items"]}
    assert len(ids) == 3 and all(len(i) == 12 and not i.isdigit() for i in ids)
    assert client.get("/api/v1/listings?per_page=2&page=9").get_json()["items"] == []


def test_search_filters_as_on_the_browse_page(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    def ids(query: str) -> set[str]:
        response = client.get(f"/api/v1/listings?{query}")
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids("kind=need") == {region.feed.public_id}
    assert ids("q=betonpuin") == {region.rubble.public_id}
    assert ids("material=minerals") == {region.rubble.public_id}
    assert ids("municipality=GM0150") == {region.grain.public_id}
    assert ids("hazardous=yes") == set()
    assert region.grain.public_id in ids("hazardous=no")
    # within_km measures from the caller's site: the brewery (Deventer).
    near = client.get("/api/v1/listings?within_km=5", headers=callers.a.headers).get_json()
    assert {i["id"] for i in near["items"]} == {region.grain.public_id}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=abc", "page"),
        ("kind=gift", "kind"),
        ("hazardous=maybe", "hazardous"),
        ("within_km=-3", "within_km"),
        ("q=%00", "q"),
    ],
)
def test_bad_search_parameters_are_422_naming_the_field(
    client: FlaskClient, db_session: Any, query: str, field: str
) -> None:
    error = assert_error(client.get(f"/api/v1/listings?{query}"), 422, "invalid_input")
    assert field in error["fields"]


def test_an_anonymous_listing_hides_its_firm_from_others_but_not_from_its_own(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    region.grain.visibility = "anonymous"
    region.grain.ref = "BOSTEL-1"
    db.session.commit()
    path = f"/api/v1/listings/{region.grain.public_id}"
    for caller in (callers.anonymous, callers.b):
        shown = client.get(path, headers=caller.headers).get_json()
        assert shown["organisation"] is None
        assert shown["ref"] is None and shown["postcode"] is None
        assert (shown["lon"], shown["lat"]) == municipality_points()["GM0150"]
        assert (shown["lon"], shown["lat"]) != (region.grain.lon, region.grain.lat)
        assert shown["exact_location"] is False
        assert "T" not in shown["created_at"]  # the date only
    own = client.get(path, headers=callers.a.headers).get_json()
    assert own["organisation"] == region.brewery.name and own["ref"] == "BOSTEL-1"
    assert (own["lon"], own["lat"]) == (region.grain.lon, region.grain.lat)
    listed = client.get("/api/v1/listings?kind=offer", headers=callers.b.headers).get_json()
    grain = next(i for i in listed["items"] if i["id"] == region.grain.public_id)
    assert grain["organisation"] is None and grain["distance_km"] is None
    assert "organisation_id" not in grain and "organisation_public_id" not in grain


def test_a_listing_carries_the_file_columns(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    shown = client.get(f"/api/v1/listings/{region.feed.public_id}").get_json()
    assert shown["kind"] == "need" and shown["status"] == "active"
    assert shown["quantity_per_year"] == 500.0 and shown["unit"] == "t"
    assert shown["max_distance_km"] == 30.0
    assert shown["organisation"] == region.farm.name
    assert shown["municipality"]


def test_create_a_listing_with_the_forms_rules(client: FlaskClient, callers: Callers) -> None:
    response = client.post(
        "/api/v1/listings", json={**NEW_OFFER, "ref": "GIPS-7"}, headers=callers.a.headers
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "active" and created["ref"] == "GIPS-7"
    assert created["quantity_per_year"] == 150.0
    assert created["organisation"] == callers.a.user.organisation.name
    assert response.headers["Location"].endswith(created["id"])
    stored = db.session.scalar(db.select(Listing).where(Listing.public_id == created["id"]))
    assert stored.organisation_id == callers.a.user.organisation_id
    assert (stored.lon, stored.lat) == (
        callers.a.user.organisation.lon,
        callers.a.user.organisation.lat,
    )


def test_create_reports_every_problem_and_writes_nothing(
    client: FlaskClient, callers: Callers
) -> None:
    before = count(Listing)
    body = {**NEW_OFFER, "ewc_code": None, "quantity": -1, "title": " ", "max_distance_km": 10}
    error = assert_error(
        client.post("/api/v1/listings", json=body, headers=callers.a.headers), 422, "invalid_input"
    )
    assert {"ewc_code", "quantity", "title", "max_distance_km"} <= set(error["fields"])
    error = assert_error(
        client.post(
            "/api/v1/listings",
            json={**NEW_OFFER, "quantity": "12", "colour": "red"},
            headers=callers.a.headers,
        ),
        422,
        "invalid_input",
    )
    assert "colour" in error["fields"]
    error = assert_error(
        client.post(
            "/api/v1/listings", json={**NEW_OFFER, "quantity": "12"}, headers=callers.a.headers
        ),
        422,
        "invalid_input",
    )
    assert "quantity" in error["fields"]
    assert count(Listing) == before


def test_a_need_at_a_postcode_and_a_draft(client: FlaskClient, callers: Callers) -> None:
    body = {
        "kind": "need",
        "title": "Gips gezocht",
        "material": "minerals.gypsum",
        "quantity": 3,
        "unit": "t",
        "postcode": "7201 AA",
        "accepted_ewc_codes": ["17 08 02"],
        "max_distance_km": 25,
        "status": "draft",
        "visibility": "anonymous",
    }
    response = client.post("/api/v1/listings", json=body, headers=callers.b.headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "draft" and created["accepted_ewc_codes"] == ["17 08 02"]
    assert created["postcode"] == "7201 AA"
    # A draft is its firm's only: another firm, a visitor get 404.
    path = f"/api/v1/listings/{created['id']}"
    assert client.get(path, headers=callers.a.headers).status_code == 404
    assert client.get(path).status_code == 404
    assert client.get(path, headers=callers.coordinator.headers).status_code == 200


def test_a_coordinator_names_the_firm_and_a_member_cannot_name_another(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    assert_error(
        client.post("/api/v1/listings", json=NEW_OFFER, headers=callers.coordinator.headers),
        422,
        "invalid_input",
    )
    response = client.post(
        "/api/v1/listings",
        json={**NEW_OFFER, "organisation": region.farm.kvk},
        headers=callers.coordinator.headers,
    )
    assert response.status_code == 201
    assert response.get_json()["organisation"] == region.farm.name
    response = client.post(
        "/api/v1/listings",
        json={**NEW_OFFER, "organisation": region.farm.name},
        headers=callers.a.headers,
    )
    assert_error(response, 403, "forbidden")


def test_patch_changes_fields_and_status_and_checks_the_whole(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    path = f"/api/v1/listings/{region.grain.public_id}"
    response = client.patch(
        path, json={"quantity": 40, "title": "Natte bostel"}, headers=callers.a.headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["quantity"] == 40 and response.get_json()["title"] == "Natte bostel"
    assert response.get_json()["ewc_code"] == "02 07 02"  # unchanged fields stay
    error = assert_error(
        client.patch(path, json={"ewc_code": "99 99 99"}, headers=callers.a.headers),
        422,
        "invalid_input",
    )
    assert "ewc_code" in error["fields"]
    assert (
        client.patch(path, json={"status": "paused"}, headers=callers.a.headers).get_json()[
            "status"
        ]
        == "paused"
    )
    error = assert_error(
        client.patch(path, json={"status": "draft"}, headers=callers.a.headers),
        422,
        "invalid_input",
    )
    db.session.expire_all()
    assert region.grain.quantity == 40 and region.grain.status == "paused"


def test_another_firm_cannot_change_or_close_a_listing(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    path = f"/api/v1/listings/{region.grain.public_id}"
    assert_error(
        client.patch(path, json={"quantity": 1}, headers=callers.b.headers), 403, "forbidden"
    )
    assert_error(client.delete(path, headers=callers.b.headers), 403, "forbidden")
    assert_error(client.delete(path), 401, "unauthorized")
    db.session.expire_all()
    assert region.grain.quantity == 500.0 and region.grain.status == "active"


def test_delete_closes_the_listing(client: FlaskClient, callers: Callers, region: Any) -> None:
    path = f"/api/v1/listings/{region.grain.public_id}"
    assert client.delete(path, headers=callers.a.headers).status_code == 204
    assert client.delete(path, headers=callers.a.headers).status_code == 204
    db.session.expire_all()
    assert region.grain.status == "closed"
    assert client.get(path).status_code == 404  # off the market
    assert client.get(path, headers=callers.a.headers).get_json()["status"] == "closed"


# --- import -------------------------------------------------------------------------------------

CSV_HEADER = "ref,kind,title,material,ewc_code,quantity,unit,frequency\n"


def test_import_a_csv_body_creates_and_then_updates(client: FlaskClient, callers: Callers) -> None:
    body = CSV_HEADER + "P-1,offer,Pallets,packaging.pallets,15 01 03,30,pcs,week\n"
    url = "/api/v1/listings/import"
    dry = client.post(
        url + "?dry_run=1", data=body, content_type="text/csv", headers=callers.a.headers
    )
    assert dry.get_json() == {"created": 1, "updated": 0, "dry_run": True}
    assert count(Listing, Listing.ref == "P-1") == 0
    response = client.post(url, data=body, content_type="text/csv", headers=callers.a.headers)
    assert response.get_json() == {"created": 1, "updated": 0, "dry_run": False}
    again = client.post(url, data=body, content_type="text/csv", headers=callers.a.headers)
    assert again.get_json()["updated"] == 1
    stored = db.session.scalar(db.select(Listing).where(Listing.ref == "P-1"))
    assert stored.organisation_id == callers.a.user.organisation_id


def test_import_is_all_or_nothing_and_lists_every_problem(
    client: FlaskClient, callers: Callers
) -> None:
    body = (
        CSV_HEADER
        + "P-1,offer,Pallets,packaging.pallets,15 01 03,30,pcs,week\n"
        + "P-2,offer,Mystery,not.a.material,15 01 03,30,pcs,week\n"
        + "P-3,offer,Heavy,packaging.pallets,15 01 03,-5,lbs,week\n"
    )
    before = count(Listing)
    response = client.post(
        "/api/v1/listings/import", data=body, content_type="text/csv", headers=callers.a.headers
    )
    error = assert_error(response, 422, "invalid_input")
    keys = set(error["fields"])
    assert any(k.startswith("row 3") for k in keys) and any(k.startswith("row 4") for k in keys)
    assert count(Listing) == before


def test_import_refuses_other_content_and_other_firms(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    url = "/api/v1/listings/import"
    assert_error(
        client.post(url, json={"a": 1}, headers=callers.a.headers), 415, "unsupported_media_type"
    )
    body = CSV_HEADER + "P-1,offer,Pallets,packaging.pallets,15 01 03,30,pcs,week\n"
    assert_error(
        client.post(
            f"{url}?organisation={region.farm.kvk}",
            data=body,
            content_type="text/csv",
            headers=callers.a.headers,
        ),
        403,
        "forbidden",
    )
    assert_error(client.post(url, data=body, content_type="text/csv"), 401, "unauthorized")
    assert count(Listing, Listing.ref == "P-1") == 0


def test_an_organisation_without_a_site_needs_a_location(
    client: FlaskClient, db_session: Any
) -> None:
    from tests.marketplace.api.conftest import with_token

    org = factories.organisation(lon=None, lat=None, postcode=None, municipality_code=None)
    caller = with_token(factories.user(organisation=org))
    db.session.commit()
    error = assert_error(
        client.post("/api/v1/listings", json=NEW_OFFER, headers=caller.headers),
        422,
        "invalid_input",
    )
    assert "location_mode" in error["fields"]


def test_import_an_xlsx_body(client: FlaskClient, callers: Callers) -> None:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(CSV_HEADER.strip().split(","))
    sheet.append(["X-1", "offer", "Pallets", "packaging.pallets", "15 01 03", 30, "pcs", "week"])
    body = io.BytesIO()
    book.save(body)
    response = client.post(
        "/api/v1/listings/import",
        data=body.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=callers.a.headers,
    )
    assert response.get_json() == {"created": 1, "updated": 0, "dry_run": False}
    assert count(Listing, Listing.ref == "X-1") == 1


def test_the_readme_example_publishes_an_anonymous_offer(
    client: FlaskClient, callers: Callers
) -> None:
    import json
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    body = re.search(r"-d '(\{.*?\})'", readme, re.S).group(1)
    response = client.post("/api/v1/listings", json=json.loads(body), headers=callers.a.headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["visibility"] == "anonymous"
    assert response.get_json()["ref"] == "BOSTEL-2026"
