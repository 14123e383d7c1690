"""The interface is Dutch by default and English on request; both catalogues are complete."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace.i18n_commands import extract, missing


@pytest.fixture(scope="module")
def template_catalog():  # type: ignore[no-untyped-def]
    return extract()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_interface_string_has_a_translation(lang: str, template_catalog) -> None:  # type: ignore[no-untyped-def]
    gaps = missing(lang, template_catalog)
    assert gaps == [], f"{len(gaps)} strings lack a {lang} translation, e.g. {gaps[:5]}"


def test_the_dutch_catalogue_translates_rather_than_copies(template_catalog) -> None:  # type: ignore[no-untyped-def]
    from marketplace.i18n_commands import load

    catalog = load("nl")
    same = [
        m.id
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string == m.id and len(m.id.split()) > 2
    ]
    # Long sentences left in English would mean the translation was skipped.
    assert len(same) <= 5, same[:10]


def test_pages_are_dutch_by_default_and_english_on_request(client: FlaskClient) -> None:
    dutch = client.get("/").get_data(as_text=True)
    assert 'lang="nl"' in dutch
    assert "Inloggen" in dutch
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english
    assert "Log in" in english
