"""Import previews expire after an hour; the expiry command deletes their files; CSV
injection in an upload stays neutralised on the way back out."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.listings import transfer
from tests import factories
from tests.marketplace.helpers import login, make_user
from tests.marketplace.listings.test_import_export import csv_bytes, token_of, upload


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.fixture
def member(db_session: Any) -> User:
    user = make_user(organisation=factories.organisation(name="Houtbewerking Twello BV"))
    db_session.commit()
    return user


def _age(directory: Path, token: str, seconds: float) -> None:
    moment = time.time() - seconds
    for suffix in (".json", ".bin"):
        os.utime(directory / f"{token}{suffix}", (moment, moment))


def test_an_hour_old_preview_cannot_be_confirmed_and_nothing_is_written(
    app: Flask, client: FlaskClient, member: User
) -> None:
    login(client, member)
    token = token_of(upload(client, csv_bytes(), "lijst.csv").get_data(as_text=True))
    directory = Path(app.instance_path) / "imports"
    _age(directory, token, transfer.PREVIEW_MAX_AGE_S + 60)
    response = client.post("/listings/import/confirm", data={"token": token})
    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True) or "verlopen" in response.get_data(
        as_text=True
    )
    assert not (directory / f"{token}.bin").exists()
    assert member.organisation.listings == []


def test_the_expiry_command_deletes_old_previews_only(
    app: Flask, client: FlaskClient, member: User
) -> None:
    login(client, member)
    old = token_of(upload(client, csv_bytes(), "oud.csv").get_data(as_text=True))
    fresh = token_of(upload(client, csv_bytes(), "nieuw.csv").get_data(as_text=True))
    directory = Path(app.instance_path) / "imports"
    _age(directory, old, transfer.PREVIEW_MAX_AGE_S + 1)
    result = app.test_cli_runner().invoke(args=["listings", "expire-previews"])
    assert result.exit_code == 0, result.output
    assert "1 expired import preview(s) deleted" in result.output
    assert not (directory / f"{old}.json").exists() and not (directory / f"{old}.bin").exists()
    assert (directory / f"{fresh}.json").exists() and (directory / f"{fresh}.bin").exists()
    transfer.discard_upload(fresh)


def test_formulas_in_an_upload_come_back_out_neutralised(
    client: FlaskClient, member: User, db_session: Any
) -> None:
    login(client, member)
    rows = [["F-1", "offer", '=HYPERLINK("http://x")', "", "03 01 05", "1", "t", "7201 AA"]]
    html = upload(client, csv_bytes(rows), "f.csv").get_data(as_text=True)
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    exported = client.get(
        f"/listings/export.csv?organisation={member.organisation.public_id}"
    ).data.decode("utf-8-sig")
    line = next(row for row in exported.splitlines() if row.startswith("F-1"))
    assert ",'=HYPERLINK" in line or ",\"'=HYPERLINK" in line
