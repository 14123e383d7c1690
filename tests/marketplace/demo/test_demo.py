"""``flask demo load`` and :func:`marketplace.demo.services.load_demo`."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flows.synthetic import generate
from geo.regions import REGION_MUNICIPALITY_CODES
from marketplace import create_app
from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import AuditEntry
from marketplace.core.reference import EWCCode
from marketplace.demo.services import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    DEMO_PASSWORD,
    FICTIONAL_MARK,
    MEMBER_EMAIL,
    DemoDataExists,
    DemoError,
    demo_logins,
    load_demo,
)
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.runs.models import EngineRun
from tests import factories


def _count(model: type[Any], *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _listing_tuples() -> list[tuple[Any, ...]]:
    """Every demo listing as plain values, ids and timestamps left out."""
    rows = db.session.execute(
        sa.select(
            Organisation.name,
            Organisation.kvk,
            Organisation.municipality_code,
            Listing.ref,
            Listing.kind,
            Listing.title,
            Listing.material,
            Listing.ewc_code,
            Listing.quantity,
            Listing.unit,
            Listing.frequency,
            Listing.postcode,
            Listing.lon,
            Listing.lat,
            Listing.max_distance_km,
            Listing.available_from,
            Listing.available_until,
            Listing.current_route,
            Listing.current_source,
            Listing.price_terms,
            Listing.visibility,
            Listing.status,
            Listing.id,
        )
        .join(Organisation, Listing.organisation_id == Organisation.id)
        .where(Organisation.is_demo.is_(True))
    ).all()
    accepted: dict[int, list[str]] = {}
    for listing_id, code in db.session.execute(
        sa.select(ListingAcceptedCode.listing_id, ListingAcceptedCode.ewc_code)
    ):
        accepted.setdefault(listing_id, []).append(code)
    return sorted((*row[:-1], tuple(sorted(accepted.get(row[-1], [])))) for row in rows)


@pytest.fixture(scope="module")
def small_economy() -> Any:
    return generate(size="small", seed=0)


def test_a_small_load_inserts_every_generated_firm_and_listing(
    db_session: Any, small_economy: Any
) -> None:
    report = load_demo(size="small", seed=0)

    firms, listings = small_economy.firms, small_economy.listings
    assert 20 <= len(firms) <= 80  # "about 40 firms"
    assert report.organisations == len(firms) == _count(Organisation)
    assert report.listings == len(listings) == _count(Listing)
    assert report.listings_by_kind == dict(sorted(listings["kind"].value_counts().items()))
    assert sum(sum(c.values()) for c in report.listings_by_municipality.values()) == report.listings
    assert report.unknown_sbi_codes == ()
    assert _count(Organisation, Organisation.sbi_code.is_(None)) == 0
    expected_accepted = sum(len(set(codes)) for codes in listings["accepted_ewc_codes"])
    assert report.accepted_codes == expected_accepted == _count(ListingAcceptedCode)


def test_every_demo_listing_has_a_known_ewc_code_and_every_firm_lies_in_the_region(
    db_session: Any,
) -> None:
    load_demo(size="small", seed=0)

    unknown_listing_codes = db.session.scalars(
        sa.select(Listing.ewc_code)
        .outerjoin(EWCCode, Listing.ewc_code == EWCCode.code)
        .where(Listing.ewc_code.is_not(None), EWCCode.code.is_(None))
    ).all()
    unknown_accepted = db.session.scalars(
        sa.select(ListingAcceptedCode.ewc_code)
        .outerjoin(EWCCode, ListingAcceptedCode.ewc_code == EWCCode.code)
        .where(EWCCode.code.is_(None))
    ).all()
    assert unknown_listing_codes == []
    assert unknown_accepted == []
    assert _count(Listing, Listing.ewc_code.is_not(None)) > 0
    municipalities = set(db.session.scalars(sa.select(Organisation.municipality_code)))
    assert municipalities <= set(REGION_MUNICIPALITY_CODES)
    assert len(municipalities) >= 4


def test_every_demo_organisation_and_listing_says_it_is_fictional(db_session: Any) -> None:
    load_demo(size="small", seed=0)

    orgs = db.session.scalars(sa.select(Organisation)).all()
    assert all(org.is_demo for org in orgs)
    assert all(FICTIONAL_MARK in (org.description or "") for org in orgs)
    descriptions = db.session.scalars(sa.select(Listing.description)).all()
    assert all(FICTIONAL_MARK in (d or "") for d in descriptions)


def test_needs_keep_their_accepted_codes_and_price_terms_follow_the_current_route(
    db_session: Any, small_economy: Any
) -> None:
    load_demo(size="small", seed=0)

    expected = {
        (str(r.firm_ref), str(r.ref)): tuple(sorted(set(r.accepted_ewc_codes)))
        for r in small_economy.listings.itertuples()
        if r.kind == "need"
    }
    firm_ref_by_name = dict(
        zip(small_economy.firms["name"], small_economy.firms["firm_ref"], strict=True)
    )
    needs = db.session.scalars(sa.select(Listing).where(Listing.kind == "need")).all()
    assert len(needs) == len(expected)
    for need in needs:
        key = (str(firm_ref_by_name[need.organisation.name]), need.ref)
        assert need.accepted_ewc_codes == expected[key]
    pairs = db.session.execute(
        sa.select(
            Listing.kind, Listing.current_route, Listing.current_source, Listing.price_terms
        ).distinct()
    ).all()
    allowed = {
        ("offer", "landfill", None, "paid_to_take"),
        ("offer", "incineration", None, "paid_to_take"),
        ("offer", "composting", None, "free"),
        ("offer", "digestion", None, "free"),
        ("offer", "land_spreading", None, "free"),
        ("offer", "recycling", None, "pay"),
        ("offer", "other", None, "negotiable"),
        ("offer", None, None, "negotiable"),
        ("need", None, "virgin", "pay"),
        ("need", None, "secondary", "negotiable"),
        ("need", None, None, "negotiable"),
    }
    assert {tuple(p) for p in pairs} <= allowed


def test_the_same_seed_loads_identical_listings_and_another_seed_does_not(db_session: Any) -> None:
    load_demo(size="small", seed=1)
    first = _listing_tuples()
    report = load_demo(size="small", seed=1, replace=True)
    second = _listing_tuples()
    load_demo(size="small", seed=2, replace=True)
    third = _listing_tuples()

    assert report.removed_organisations == report.organisations
    assert first == second
    assert first != third


def test_a_second_load_without_replace_is_refused_and_changes_nothing(db_session: Any) -> None:
    report = load_demo(size="small", seed=0)

    with pytest.raises(DemoDataExists, match="already holds"):
        load_demo(size="small", seed=3)
    assert _count(Organisation) == report.organisations
    assert _count(Listing) == report.listings


def test_replace_removes_only_demo_data_and_keeps_real_organisations(db_session: Any) -> None:
    real = factories.organisation(name="Echte Recycling BV")
    real_listing = factories.listing(organisation=real)
    real_user = factories.user(organisation=real, email="jan@echte-recycling.nl")
    coordinator = factories.user(role="coordinator", email="coord@cleantechregio.nl")

    first = load_demo(size="small", seed=0, replace=True)
    second = load_demo(size="small", seed=0, replace=True)

    assert first.removed_organisations == 0
    assert second.removed_organisations == first.organisations
    assert _count(Organisation) == first.organisations + 1
    assert _count(Organisation, Organisation.is_demo.is_(False)) == 1
    assert db.session.get(Organisation, real.id) is not None
    assert db.session.get(Listing, real_listing.id) is not None
    assert db.session.get(User, real_user.id) is not None
    assert db.session.get(User, coordinator.id) is not None
    assert _count(User) == 2 + len(second.logins)


def test_replace_drops_matches_on_demo_listings_and_keeps_real_history_without_demo_users(
    db_session: Any,
) -> None:
    load_demo(size="small", seed=0)
    real = factories.organisation(name="Echte Veehouderij VOF")
    real_need = factories.listing(organisation=real, kind="need")
    demo_offer = db.session.scalars(
        sa.select(Listing).where(Listing.kind == "offer").order_by(Listing.id).limit(1)
    ).one()
    coordinator = db.session.scalars(sa.select(User).where(User.email == COORDINATOR_EMAIL)).one()
    match = Match(
        offer_id=demo_offer.id,
        need_id=real_need.id,
        quantity_per_year=100.0,
        unit="t",
        quantity_flow_unit=100.0,
        flow_unit="t",
        distance_km=5.0,
        road_km=6.5,
    )
    audit = AuditEntry(
        user_id=coordinator.id,
        organisation_id=real.id,
        action="listing.edit",
        object_type="listing",
        object_id=real_need.id,
    )
    run = EngineRun(started_by_id=coordinator.id)
    db.session.add_all([match, audit, run])
    db.session.flush()
    match_id, audit_id, run_id = match.id, audit.id, run.id

    load_demo(size="small", seed=0, replace=True)

    assert db.session.get(Match, match_id) is None
    assert db.session.get(Listing, real_need.id) is not None
    kept_audit = db.session.get(AuditEntry, audit_id)
    kept_run = db.session.get(EngineRun, run_id)
    assert kept_audit is not None and kept_audit.user_id is None
    assert kept_run is not None and kept_run.started_by_id is None


def test_replace_refuses_to_delete_a_real_user_of_a_demo_organisation(db_session: Any) -> None:
    load_demo(size="small", seed=0)
    demo_org = db.session.scalars(sa.select(Organisation).limit(1)).one()
    factories.user(organisation=demo_org, email="echt@example.nl")

    with pytest.raises(DemoError, match=r"echt@example\.nl"):
        load_demo(size="small", seed=0, replace=True)


def test_the_demo_logins_are_a_member_of_a_busy_firm_a_coordinator_and_an_admin(
    db_session: Any,
) -> None:
    report = load_demo(size="small", seed=0)

    assert [(login.email, login.role) for login in report.logins] == [
        (MEMBER_EMAIL, "member"),
        (COORDINATOR_EMAIL, "coordinator"),
        (ADMIN_EMAIL, "admin"),
    ]
    assert demo_logins() == report.logins
    member = db.session.scalars(sa.select(User).where(User.email == MEMBER_EMAIL)).one()
    assert member.organisation is not None and member.organisation.is_demo
    assert member.organisation.name == report.logins[0].organisation
    assert {listing.kind for listing in member.organisation.listings} == {"offer", "need"}
    for login in report.logins:
        user = db.session.scalars(sa.select(User).where(User.email == login.email)).one()
        assert user.check_password(DEMO_PASSWORD)
        assert not user.check_password("wrong-password")


def test_the_demo_logins_sign_in_on_the_login_page(app: Flask, db_session: Any) -> None:
    report = load_demo(size="small", seed=0)
    db.session.commit()  # the test client's requests use their own session
    client = app.test_client()

    for login in report.logins:
        response = client.post("/login", data={"email": login.email, "password": login.password})
        assert response.status_code == 302, login.email
        assert response.headers["Location"].endswith("/dashboard")
        client.post("/logout")
    wrong = client.post("/login", data={"email": MEMBER_EMAIL, "password": "not-the-password"})
    assert wrong.status_code == 422


def test_the_progress_callback_counts_up_to_the_total(db_session: Any) -> None:
    calls: list[tuple[str, int, int]] = []

    report = load_demo(size="small", seed=0, progress=lambda *call: calls.append(call))

    done = [d for _, d, _ in calls]
    assert done == sorted(done)
    total = report.organisations + report.listings
    assert calls[-1] == ("done", total, total)


def test_unknown_sizes_and_negative_seeds_are_refused_naming_the_allowed_values(
    db_session: Any,
) -> None:
    with pytest.raises(DemoError, match=r"size 'huge' is not one of small, region, national"):
        load_demo(size="huge")
    with pytest.raises(DemoError, match=r"seed -1 is not a whole number >= 0"):
        load_demo(size="small", seed=-1)


def test_the_cli_loads_once_prints_the_logins_and_if_empty_then_does_nothing(
    app: Flask, db_session: Any
) -> None:
    runner = app.test_cli_runner()

    loaded = runner.invoke(args=["demo", "load", "--size", "small", "--seed", "0"])
    again = runner.invoke(args=["demo", "load", "--size", "small", "--if-empty"])
    refused = runner.invoke(args=["demo", "load", "--size", "small"])

    assert loaded.exit_code == 0, loaded.output
    assert "Loaded fictional demo data (size small, seed 0)" in loaded.output
    for email in (MEMBER_EMAIL, COORDINATOR_EMAIL, ADMIN_EMAIL):
        assert email in loaded.output
        assert email in again.output
    assert DEMO_PASSWORD in loaded.output
    assert again.exit_code == 0, again.output
    assert "demo data not loaded" in again.output
    assert refused.exit_code == 1
    assert "already holds" in refused.output
    assert _count(User, User.email == MEMBER_EMAIL) == 1


def test_the_cli_commits_so_the_demo_survives_the_session(app: Flask, db_session: Any) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load", "--size", "small"])
    assert result.exit_code == 0, result.output

    db.session.remove()
    assert _count(Organisation, Organisation.is_demo.is_(True)) > 0


def test_the_production_configuration_refuses_demo_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("SECRET_KEY", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("RESTSTROOM_BASE_URL", "https://reststroom.example.nl")
    prod = create_app("production")

    result = prod.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])

    assert result.exit_code == 1
    assert "refused under the production configuration" in result.output
    with prod.app_context(), pytest.raises(DemoError, match="production"):
        load_demo(size="small")
    with prod.app_context():
        db.engine.dispose()


def test_the_demo_keeps_the_generated_transport_modes_and_the_engine_proposes_barge_exchanges(
    db_session: Any,
) -> None:
    from collections import Counter

    from marketplace.runs.services import run_engine

    # The region demo, as ``make run`` loads it (SIZE=region, the default seed).
    report = load_demo(size="region")
    listings = generate(size="region", seed=report.seed).listings
    rows = db.session.execute(
        sa.select(Listing.kind, Listing.transport_mode, Listing.current_source_transport_mode)
    ).all()
    assert Counter(mode for _, mode, _ in rows) == Counter(listings["transport_mode"])
    needs = listings[listings["kind"] == "need"]
    assert Counter(m for kind, _, m in rows if kind == "need") == Counter(
        needs["current_source_transport_mode"]
    )
    assert {m for kind, _, m in rows if kind == "offer"} == {None}
    assert Counter(mode for _, mode, _ in rows)["barge"] > 0  # the ports of Deventer and Zutphen

    engine_run = run_engine()
    db.session.commit()
    assert engine_run.status == "succeeded", engine_run.error
    barge = db.session.scalars(sa.select(Match).where(Match.transport_mode == "barge")).all()
    assert barge, "no barge proposal in the demo"
    assert all(m.offer.transport_mode == m.need.transport_mode == "barge" for m in barge)
