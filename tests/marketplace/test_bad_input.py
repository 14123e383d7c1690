"""Every route answers hostile input with a 4xx, never a 500.

Ids beyond 64 bits (and beyond the 32-bit columns), row ids where public ids belong, NUL
bytes in the path, the query and the form: over every rule of the URL map, as a visitor,
a member and a coordinator.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.marketplace.helpers import login, make_user
from tests.marketplace.region_world import Parties

HUGE = "73786976294838206464"  # 2**66
#: What goes into each kind of route parameter.
BAD_VALUES = {
    "int": [HUGE, "2147483648", "9223372036854775808", "-1"],
    "pid": [HUGE, "1", "%00" * 4, "x" * 13],
    "default": ["%00", HUGE, "x" * 300],
}
PARAM = re.compile(r"<(?:(?P<conv>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _urls(app: Flask, methods: set[str]) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not (rule.methods or set()) & methods:
            continue
        params = PARAM.findall(rule.rule)
        if not params:
            urls.append((next(iter((rule.methods or set()) & methods)), rule.rule))
            continue
        for conv, _name in params:
            if conv == "any":
                continue
            for value in BAD_VALUES.get(conv, BAD_VALUES["default"]):
                url = PARAM.sub(lambda m, v=value: "csv" if m["conv"] == "any" else v, rule.rule)
                urls.append((next(iter((rule.methods or set()) & methods)), url))
    return sorted(set(urls))


@pytest.fixture(params=["visitor", "member", "coordinator"])
def as_who(request: pytest.FixtureRequest, client: FlaskClient, parties: Parties) -> FlaskClient:
    if request.param == "member":
        login(client, parties.brewer)
    elif request.param == "coordinator":
        coordinator = make_user(role="coordinator")
        from marketplace.extensions import db

        db.session.commit()
        login(client, coordinator)
    return client


def test_bad_route_parameters_never_end_in_a_500(app: Flask, as_who: FlaskClient) -> None:
    urls = _urls(app, {"GET"})
    assert len(urls) > 20
    failures = []
    for _method, url in urls:
        status = as_who.get(url).status_code
        if status >= 500:
            failures.append((url, status))
    assert failures == []


def test_a_row_id_beyond_64_bits_is_not_found(client: FlaskClient, parties: Parties) -> None:
    for url in (f"/listings/{HUGE}", f"/matches/{HUGE}", f"/organisations/{HUGE}"):
        assert client.get(url).status_code == 404, url
    coordinator = make_user(role="coordinator")
    from marketplace.extensions import db

    db.session.commit()
    login(client, coordinator)
    for url in (f"/matches/runs/{HUGE}", "/matches/runs/2147483648", f"/matches/runs/{HUGE}.json"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "query",
    ["q=%00", "q=bier%00", "kind=%00", "%00=1", "page=%00", "municipality=%00", "sort=%00"],
)
def test_a_nul_byte_in_the_query_is_a_clear_400(
    client: FlaskClient, db_session: Any, query: str
) -> None:
    for path in ("/listings/", "/api/listings", "/api/ewc", "/"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
    page = client.get("/listings/?q=%00", headers={"Accept-Language": "en"})
    assert "NUL character" in page.get_data(as_text=True) or "NUL" in page.get_data(as_text=True)
    api = client.get("/api/listings?q=%00")
    assert api.is_json and "NUL" in api.get_json()["error"]["message"]


def test_huge_page_numbers_are_not_a_500(client: FlaskClient, db_session: Any) -> None:
    for url in (f"/listings/?page={HUGE}", f"/listings/?per_page={HUGE}", f"/matches/?page={HUGE}"):
        assert client.get(url).status_code < 500, url


def test_a_nul_byte_in_a_form_is_refused_and_nothing_is_written(
    client: FlaskClient, parties: Parties
) -> None:
    from marketplace.listings.models import Listing
    from tests.marketplace.helpers import count

    login(client, parties.brewer)
    before = count(Listing)
    response = client.post(
        "/listings/new",
        data={"kind": "offer", "title": "Bier\x00bostel", "material": "organics.spent_grain"},
    )
    assert response.status_code == 400
    assert count(Listing) == before
    assert (
        client.post("/login", data={"email": "a\x00@example.nl", "password": "x"}).status_code
        == 400
    )


def test_bad_post_routes_never_end_in_a_500(app: Flask, as_who: FlaskClient) -> None:
    failures = []
    for _method, url in _urls(app, {"POST"}):
        for data in ({"x": "\x00"}, {"status": HUGE, "quantity": HUGE, "token": "\x00" * 3}):
            status = as_who.post(url, data=data).status_code
            if status >= 500:
                failures.append((url, data, status))
    assert failures == []


def test_a_nul_escape_in_a_json_body_is_a_400(client: FlaskClient, db_session: Any) -> None:
    response = client.post(
        "/api/listings", data='{"title": "a\\u0000b"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_a_nul_in_a_json_body_is_a_400_in_every_json_encoding(
    client: FlaskClient, db_session: Any, encoding: str
) -> None:
    body = json.dumps({"title": "a\x00b", "nested": [{"ok": "yes"}]}).encode(encoding)
    response = client.post("/api/v1/listings", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error"]["message"]


def test_a_json_body_nested_too_deeply_is_a_400_not_a_500(
    client: FlaskClient, db_session: Any
) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/listings", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
