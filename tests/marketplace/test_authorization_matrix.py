"""Every route of the app x {anonymous, member of firm A, member of firm B, coordinator, admin}.

The objects in the URLs belong to firm A: its draft listing, its exchange with a third
firm C (agreed, with a delivery and a message), its API token, its organisation, its
import preview. Firm B is a stranger to all of them. :data:`EXPECTED` holds the status
each caller gets; a route of ``app.url_map`` without an entry fails
:func:`test_every_route_has_an_expectation`, so a new route cannot be forgotten.

Write requests carry an empty form or JSON object; every caller starts from a fresh
world, so one caller's write cannot change what the next one sees. After a refused
write, the test checks that firm A's objects did not change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import ApiToken, Organisation, User
from marketplace.accounts.tokens import create_token
from marketplace.exchanges.models import Delivery, Match, Message
from marketplace.extensions import db
from marketplace.listings import transfer
from marketplace.listings.models import Listing
from marketplace.runs.models import EngineRun
from tests import factories
from tests.conftest import REFERENCE_TABLES
from tests.marketplace.helpers import login

ROLES = ("anonymous", "firm_a", "firm_b", "coordinator", "admin")
#: The title of firm A's draft: no answer to anyone else may contain it.
SECRET_TITLE = "Geheim-concept-A7"

#: (method, rule) -> the status for (anonymous, firm A, firm B, coordinator, admin).
#: 302 for a page means: to the login page (anonymous) or back after the action.
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int]] = {}


def expect(method: str, rule: str, *statuses: int) -> None:
    assert len(statuses) == len(ROLES), (method, rule)
    EXPECTED[method, rule] = statuses  # type: ignore[assignment]


# fmt: off
# --- public pages and the site's JSON
expect("GET", "/", 200, 200, 200, 200, 200)
expect("GET", "/static/<path:filename>", 200, 200, 200, 200, 200)
expect("GET", "/vendor/leaflet/<path:filename>", 200, 200, 200, 200, 200)
expect("POST", "/language", 302, 302, 302, 302, 302)
expect("GET", "/api/ewc", 200, 200, 200, 200, 200)
expect("GET", "/api/listings", 200, 200, 200, 200, 200)
expect("GET", "/api/region", 200, 200, 200, 200, 200)
# --- health probes: no session, no user, no data
expect("GET", "/healthz", 200, 200, 200, 200, 200)
expect("GET", "/readyz", 200, 200, 200, 200, 200)
# --- accounts
expect("GET", "/login", 200, 302, 302, 302, 302)
expect("POST", "/login", 422, 302, 302, 302, 302)
expect("POST", "/logout", 302, 302, 302, 302, 302)
expect("GET", "/register", 200, 302, 302, 302, 302)
expect("POST", "/register", 422, 302, 302, 302, 302)
expect("GET", "/password/forgot", 200, 200, 200, 200, 200)
expect("POST", "/password/forgot", 422, 422, 422, 422, 422)
expect("GET", "/password/reset/<token>", 302, 302, 302, 302, 302)
expect("POST", "/password/reset/<token>", 302, 302, 302, 302, 302)
expect("GET", "/account", 302, 200, 200, 200, 200)
expect("GET", "/account/password", 302, 200, 200, 200, 200)
expect("POST", "/account/password", 302, 422, 422, 422, 422)
expect("POST", "/account/tokens", 302, 422, 422, 422, 422)
# Firm A's token: only A revokes it.
expect("POST", "/account/tokens/<int:token_id>/revoke", 302, 302, 404, 404, 404)
# --- organisations (A's)
expect("GET", "/organisation", 302, 200, 200, 302, 302)
expect("GET", "/organisations/", 302, 403, 403, 200, 200)
expect("GET", "/organisations/<pid:public_id>", 302, 200, 403, 200, 200)
expect("GET", "/organisations/<pid:public_id>/edit", 302, 200, 403, 200, 200)
expect("POST", "/organisations/<pid:public_id>/edit", 302, 422, 403, 422, 422)
# --- listings (A's draft)
expect("GET", "/listings/", 200, 200, 200, 200, 200)
expect("GET", "/listings/<pid:public_id>", 404, 200, 404, 200, 200)
expect("GET", "/listings/<pid:public_id>/edit", 302, 200, 404, 200, 200)
expect("POST", "/listings/<pid:public_id>/edit", 302, 422, 404, 422, 422)
expect("POST", "/listings/<pid:public_id>/status", 302, 400, 404, 400, 400)
expect("GET", "/listings/export.<any(csv, xlsx):fmt>", 200, 200, 200, 200, 200)
expect("GET", "/listings/template.<any(csv, xlsx):fmt>", 200, 200, 200, 200, 200)
expect("GET", "/listings/import", 302, 200, 200, 200, 200)
expect("POST", "/listings/import", 302, 422, 422, 422, 422)
# A's import preview: nobody else confirms it.
expect("POST", "/listings/import/confirm", 302, 422, 403, 403, 403)  # A: the file is bad
expect("GET", "/listings/mine", 302, 200, 200, 404, 404)
expect("GET", "/listings/new", 302, 200, 200, 404, 404)
expect("POST", "/listings/new", 302, 422, 422, 404, 404)
# --- matches (A's exchange with firm C, agreed)
expect("GET", "/matches/", 302, 200, 200, 200, 200)
expect("GET", "/matches/<pid:public_id>", 302, 200, 404, 200, 200)
expect("POST", "/matches/<pid:public_id>/accept", 302, 302, 404, 302, 302)
expect("POST", "/matches/<pid:public_id>/decline", 302, 422, 404, 422, 422)
expect("POST", "/matches/<pid:public_id>/complete", 302, 302, 404, 302, 302)
expect("POST", "/matches/<pid:public_id>/withdraw", 302, 422, 404, 422, 422)
expect("POST", "/matches/<pid:public_id>/deliveries", 302, 422, 404, 422, 422)
expect("POST", "/matches/<pid:public_id>/deliveries/<int:delivery_id>", 302, 422, 404, 422, 422)
expect(
    "POST", "/matches/<pid:public_id>/deliveries/<int:delivery_id>/delete", 302, 302, 404, 302, 302
)
expect("POST", "/matches/<pid:public_id>/messages", 302, 422, 404, 422, 422)
# Notes are the coordinators': members are refused before the match is looked up.
expect("POST", "/matches/<pid:public_id>/notes", 302, 403, 403, 422, 422)
expect("POST", "/matches/<pid:public_id>/terms", 302, 422, 404, 422, 422)
expect("POST", "/matches/<pid:public_id>/terms/answer", 302, 422, 404, 422, 422)
expect("GET", "/matches/impact", 302, 200, 200, 404, 404)  # a firm's page
expect("GET", "/matches/impact.csv", 302, 200, 200, 404, 404)
expect("GET", "/matches/notifications", 302, 200, 200, 200, 200)
expect("POST", "/matches/notifications", 302, 302, 302, 302, 302)
# --- engine runs (coordinators)
expect("POST", "/matches/runs", 302, 403, 403, 302, 302)
expect("GET", "/matches/runs/<int:run_id>", 302, 403, 403, 200, 200)
expect("GET", "/matches/runs/<int:run_id>.json", 302, 403, 403, 200, 200)
# --- region (coordinators) and the dashboard
expect("GET", "/dashboard", 302, 200, 200, 200, 200)
expect("GET", "/region/", 302, 403, 403, 200, 200)
expect("GET", "/region/exchanges.json", 302, 403, 403, 200, 200)
# --- regional figures, exports, report, run history and review queue (coordinators)
expect("GET", "/region/figures", 302, 403, 403, 200, 200)
expect("GET", "/region/figures/<key>.csv", 302, 403, 403, 200, 200)
expect("GET", "/region/figures/report.xlsx", 302, 403, 403, 200, 200)
expect("GET", "/region/report", 302, 403, 403, 200, 200)
expect("GET", "/region/export/listings.geojson", 302, 200, 200, 200, 200)
expect("GET", "/region/export/exchanges.geojson", 302, 403, 403, 200, 200)
expect("GET", "/matches/runs/history", 302, 403, 403, 200, 200)
expect("GET", "/matches/runs/compare", 302, 403, 403, 404, 404)  # no runs named
expect("GET", "/matches/review", 302, 403, 403, 200, 200)
expect("POST", "/matches/review/<pid:public_id>", 302, 403, 403, 400, 400)  # no decision
expect("GET", "/region/map", 302, 200, 200, 200, 200)
expect("GET", "/api/v1/map/municipalities.geojson", 200, 200, 200, 200, 200)
expect("GET", "/api/v1/map/listings.geojson", 200, 200, 200, 200, 200)
expect("GET", "/api/v1/map/exchanges.geojson", 401, 200, 200, 200, 200)
expect("GET", "/api/v1/map/organisations.geojson", 401, 403, 403, 200, 200)
# --- API v1 (bearer tokens; A's draft listing, A's exchange with C)
expect("GET", "/api/v1/openapi.json", 200, 200, 200, 200, 200)
expect("GET", "/api/v1/stats", 401, 403, 403, 200, 200)
expect("GET", "/api/v1/docs", 200, 200, 200, 200, 200)
expect("GET", "/api/v1/docs/assets/<path:name>", 200, 200, 200, 200, 200)
expect("GET", "/api/v1/listings", 200, 200, 200, 200, 200)
expect("POST", "/api/v1/listings", 401, 422, 422, 422, 422)
expect("POST", "/api/v1/listings/import", 401, 415, 415, 415, 415)
expect("GET", "/api/v1/listings/<pid:public_id>", 404, 200, 404, 200, 200)
expect("PATCH", "/api/v1/listings/<pid:public_id>", 401, 200, 404, 200, 200)
expect("DELETE", "/api/v1/listings/<pid:public_id>", 401, 204, 404, 204, 204)
expect("GET", "/api/v1/matches", 401, 200, 200, 200, 200)
expect("GET", "/api/v1/matches/<pid:public_id>", 401, 200, 404, 200, 200)
expect("POST", "/api/v1/matches/<pid:public_id>/accept", 401, 409, 404, 422, 422)
expect("POST", "/api/v1/matches/<pid:public_id>/decline", 401, 422, 404, 422, 422)
expect("POST", "/api/v1/matches/<pid:public_id>/deliveries", 401, 422, 404, 422, 422)
expect("POST", "/api/v1/matches/<pid:public_id>/complete", 401, 200, 404, 200, 200)
expect("GET", "/api/v1/matches/<pid:public_id>/messages", 401, 200, 404, 200, 200)
expect("POST", "/api/v1/matches/<pid:public_id>/messages", 401, 422, 404, 422, 422)
expect("POST", "/api/v1/runs", 401, 403, 403, 202, 202)
expect("GET", "/api/v1/runs/<int:run_id>", 401, 403, 403, 200, 200)
# fmt: on


@dataclass
class World:
    users: dict[str, User | None]
    tokens: dict[str, str]
    organisation: Organisation  # firm A
    draft: Listing  # firm A's draft offer
    match: Match  # firm A's offer <-> firm C's need, agreed
    delivery: Delivery
    run: EngineRun
    api_token: ApiToken  # firm A's
    preview: str  # firm A's stored import preview


def build_world() -> World:
    firm_a = factories.organisation(name="Firma A")
    firm_b = factories.organisation(name="Firma B")
    firm_c = factories.organisation(name="Firma C")
    users: dict[str, User | None] = {
        "anonymous": None,
        "firm_a": factories.user(organisation=firm_a, locale="en"),
        "firm_b": factories.user(organisation=firm_b, locale="en"),
        "coordinator": factories.user(role="coordinator", locale="en"),
        "admin": factories.user(role="admin", locale="en"),
    }
    tokens = {}
    api_token = None
    for role, user in users.items():
        if user is not None:
            row, tokens[role] = create_token(user, name="matrix")
            if role == "firm_a":
                api_token = row
    assert api_token is not None
    draft = factories.listing(organisation=firm_a, status="draft", title=SECRET_TITLE)
    offer = factories.listing(organisation=firm_a, kind="offer")
    need = factories.listing(organisation=firm_c, kind="need")
    run = EngineRun(status="succeeded", params={}, progress=1.0)
    db.session.add(run)
    now = factories_now()
    match = Match(
        offer=offer,
        need=need,
        engine_run=run,
        status="agreed",
        quantity_per_year=100.0,
        unit="t",
        quantity_flow_unit=100.0,
        flow_unit="t",
        distance_km=10.0,
        road_km=13.0,
        net_co2e_kg=1000.0,
        offer_accepted_at=now,
        need_accepted_at=now,
        agreed_at=now,
    )
    db.session.add(match)
    db.session.flush()
    delivery = Delivery(match=match, delivered_on=date(2026, 1, 5), quantity=5.0, unit="t")
    db.session.add(delivery)
    db.session.add(Message(match=match, user_id=users["firm_a"].id, side="offer", body="Hallo"))
    preview = transfer.store_upload(
        b"ref,kind\n", filename="a.csv", user_id=users["firm_a"].id, organisation_id=firm_a.id
    )
    db.session.commit()
    return World(users, tokens, firm_a, draft, match, delivery, run, api_token, preview)


def factories_now() -> Any:
    from marketplace.core.models import utcnow

    return utcnow()


def clean_database() -> None:
    db.session.rollback()
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
    db.session.remove()


def url_for_rule(rule: Any, world: World) -> str:
    """The rule's URL with firm A's objects in it."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        if name in ("public_id", "listing_id", "match_id"):
            target: Any = world.draft
            if rule.rule.startswith(("/matches/", "/api/v1/matches/")):
                target = world.match
            elif rule.rule.startswith("/organisations/"):
                target = world.organisation
            opaque = converter != "IntegerConverter"
            values[name] = target.public_id if opaque else target.id
        elif name == "delivery_id":
            values[name] = world.delivery.id
        elif name == "run_id":
            values[name] = world.run.id
        elif name == "token_id":
            values[name] = world.api_token.id
        elif name == "organisation_id":
            values[name] = world.organisation.id
        elif name == "token":
            values[name] = "not-a-reset-token"
        elif name == "key":
            values[name] = "municipalities"
        elif name == "fmt":
            values[name] = "csv"
        elif name == "filename":
            values[name] = "leaflet.js" if "leaflet" in rule.rule else "style.css"
        elif name == "name":
            values[name] = "swagger-ui.css"
        else:
            raise AssertionError(f"the matrix does not know what to put in <{name}> of {rule}")
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{_placeholder(rule.rule, name)}>", str(value))
    return path


def _placeholder(rule: str, name: str) -> str:
    start = rule.index(f":{name}>") if f":{name}>" in rule else rule.index(f"<{name}>") + 1
    opening = rule.rindex("<", 0, start)
    return rule[opening + 1 : rule.index(">", opening)]


def snapshot(world: World) -> dict[str, Any]:
    """What a stranger must not be able to change of firm A's objects."""
    db.session.expire_all()
    draft = db.session.get(Listing, world.draft.id)
    match = db.session.get(Match, world.match.id)
    token = db.session.get(ApiToken, world.api_token.id)
    organisation = db.session.get(Organisation, world.organisation.id)
    return {
        "draft": (draft.status, draft.title, draft.quantity) if draft else None,
        "match": (match.status, match.offer_accepted_at is not None) if match else None,
        "deliveries": db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)),
        "messages": db.session.scalar(sa.select(sa.func.count()).select_from(Message)),
        "token": token.revoked_at if token else None,
        "organisation": (organisation.name, organisation.postcode),
        "listings": db.session.scalar(sa.select(sa.func.count()).select_from(Listing)),
    }


def call(client: FlaskClient, world: World, role: str, method: str, rule: Any) -> Any:
    path = url_for_rule(rule, world)
    user = world.users[role]
    headers: dict[str, str] = {}
    if path.startswith("/api/v1/"):
        if user is not None:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
    elif user is not None:
        login(client, user)
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PATCH", "PUT"):
        if path.startswith("/api/v1/"):
            kwargs["json"] = {}
        elif path == "/listings/import/confirm":
            kwargs["data"] = {"token": world.preview}
        else:
            kwargs["data"] = {}
    response = client.open(path, method=method, **kwargs)
    # Binary answers (the XLSX workbook) are read leniently; the secrets are ASCII.
    response.text_read = response.get_data().decode("utf-8", "replace")  # type: ignore[attr-defined]
    response.close()
    return response


def test_every_route_has_an_expectation(app: Flask) -> None:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routes)
    assert missing == [], f"routes without an expected status per role: {missing}"
    assert stale == [], f"expectations for routes that no longer exist: {stale}"


@pytest.mark.parametrize(("method", "rule_text"), sorted(EXPECTED))
def test_route_answers_each_caller_as_expected(
    app: Flask, db_session: Any, method: str, rule_text: str
) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.rule == rule_text and method in r.methods]
    if not rules:
        pytest.fail(f"{method} {rule_text} is not a route of the app (remove its expectation)")
    rule = rules[0]
    observed = {}
    # A read changes nothing: one world serves every caller. A write gets a fresh one each.
    world = build_world() if method == "GET" else None
    for role in ROLES:
        if method != "GET":
            world = build_world()
        assert world is not None
        before = snapshot(world)
        with app.test_client() as client:
            response = call(client, world, role, method, rule)
        observed[role] = response.status_code
        if role in ("anonymous", "firm_b"):
            assert snapshot(world) == before, f"{role} changed firm A's data: {method} {rule_text}"
            if response.status_code == 200:
                secrets = (SECRET_TITLE, world.draft.public_id, world.match.public_id)
                leaked = [s for s in secrets if s in response.text_read]
                assert leaked == [], f"{method} {rule_text} shows {role} {leaked}"
        if method != "GET":
            transfer.discard_upload(world.preview)
            clean_database()
    if method == "GET" and world is not None:
        transfer.discard_upload(world.preview)
    expected = dict(zip(ROLES, EXPECTED[method, rule_text], strict=True))
    if os.environ.get("MATRIX_REPORT"):
        with open(os.environ["MATRIX_REPORT"], "a", encoding="utf-8") as report:
            report.write(f"{method} {rule_text} {tuple(observed.values())}\n")
    assert observed == expected
