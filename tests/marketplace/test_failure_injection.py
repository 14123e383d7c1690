"""An import or an engine run killed half-way leaves no partial data.

Each test lets the real code write part of its work (flushed to the database inside the
transaction) and then makes a step fail, the way a crash or a bug would, and checks that
nothing of it is left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.core.audit import AuditEntry
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings import transfer
from marketplace.listings.models import Listing
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from tests import factories
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.listings.test_import_export import ROWS, csv_bytes, token_of, upload
from tests.marketplace.region_world import Region

THREE_ROWS = [*ROWS, ["H-3", "offer", "Zaagsel", "", "03 01 05", "4", "t", "7201 AA"]]


class Killed(RuntimeError):
    """The injected failure."""


def _kill_on_call(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, n: int) -> list[int]:
    """Make ``target.name`` raise on its ``n``-th call; the earlier calls run for real."""
    real = getattr(target, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise Killed(f"killed on call {n} of {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return calls


@pytest.fixture
def member(db_session: Any) -> User:
    user = make_user(organisation=factories.organisation(name="Houtbewerking Twello BV"))
    db_session.commit()
    return user


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.fixture
def server_errors(app: Flask) -> Any:
    """Errors become 500 pages (with the rollback) instead of reaching the test."""
    app.config["PROPAGATE_TEST_ERRORS"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_TEST_ERRORS"] = True
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_an_import_killed_after_its_second_row_writes_nothing(
    client: FlaskClient, member: User, monkeypatch: pytest.MonkeyPatch, server_errors: Any
) -> None:
    login(client, member)
    html = upload(client, csv_bytes(THREE_ROWS), "lijst.csv").get_data(as_text=True)
    assert "3 new listings" in html
    # The audit entry follows each row's flush: rows 1 and 2 are in the database when
    # the third row's audit fails.
    calls = _kill_on_call(monkeypatch, transfer, "audit_on_behalf", 3)
    response = client.post("/listings/import/confirm", data={"token": token_of(html)})
    assert response.status_code == 500
    assert calls[0] == 3
    db.session.expire_all()
    assert count(Listing) == 0
    assert count(AuditEntry) == 0


def test_a_command_line_import_killed_half_way_writes_nothing(
    app: Flask, member: User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "lijst.csv"
    rows = [[*row[:7], "7201 AA"] for row in THREE_ROWS]
    path.write_bytes(csv_bytes(rows))
    original = transfer.apply_import

    def killed_after_two(plan: transfer.ImportPlan, *, actor: Any) -> Any:
        plan.rows = [*plan.rows[:2], None]  # type: ignore[list-item] - the third row crashes
        return original(plan, actor=actor)

    monkeypatch.setattr(transfer, "apply_import", killed_after_two)
    result = app.test_cli_runner().invoke(
        args=["listings", "import", str(path), "--organisation", member.organisation.name]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, AttributeError)
    # What another connection sees while the dead command's transaction is still open:
    # nothing was committed, so nothing is there (the process would now exit).
    with db.engine.connect() as other:
        assert other.execute(sa.select(sa.func.count()).select_from(Listing)).scalar() == 0
    db.session.rollback()
    assert count(Listing) == 0


def test_an_engine_run_killed_while_storing_leaves_no_proposals(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: list[int] = []
    real_store = runs.store_proposals

    def store_then_die(run: EngineRun, frame: pd.DataFrame) -> dict[str, int]:
        real_store(run, frame)
        db.session.flush()
        stored.append(count(Match))  # the proposals are in the database, uncommitted
        raise Killed("the worker died while storing")

    monkeypatch.setattr(runs, "store_proposals", store_then_die)
    engine_run = runs.run_engine()
    db.session.commit()
    assert stored and stored[0] >= 1
    assert engine_run.status == "failed"
    assert "Killed" in (engine_run.error or "")
    db.session.expire_all()
    assert count(Match) == 0
    assert db.session.scalar(sa.select(EngineRun.status)) == "failed"


def test_a_run_killed_half_way_keeps_the_previous_runs_proposals(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = runs.run_engine()
    db.session.commit()
    assert first.status == "succeeded"
    before = sorted(
        (m.public_id, m.status, m.quantity_per_year) for m in db.session.scalars(sa.select(Match))
    )
    assert before
    region.feed.quantity = 250.0  # the next run would change the proposal
    db.session.commit()
    _kill_on_call(monkeypatch, runs, "store_proposals", 1)
    second = runs.run_engine()
    db.session.commit()
    assert second.status == "failed"
    db.session.expire_all()
    after = sorted(
        (m.public_id, m.status, m.quantity_per_year) for m in db.session.scalars(sa.select(Match))
    )
    assert after == before
