"""``flask i18n update|check``: keep the Dutch and English catalogues complete.

The source strings are English. ``update`` extracts every marked string, merges it
into both catalogues and fills the English catalogue with the source text; the Dutch
translations are written by hand. ``check`` fails when a string lacks a translation.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("marketplace/**.py", "python"), ("templates/**.html", "jinja2")]

i18n_cli = AppGroup("i18n", help="Translation catalogues (nl, en).")


def extract() -> Catalog:
    """Every translatable string of the app and its templates."""
    catalog = Catalog(project="reststroom", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map=METHODS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    ):
        if "/.venv/" in f"/{filename}":
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def catalog_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str) -> Catalog:
    path = catalog_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="reststroom", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def missing(lang: str, template: Catalog | None = None) -> list[str]:
    """Source strings without a (non-fuzzy) translation in ``lang``."""
    template = template or extract()
    catalog = load(lang)
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or found.fuzzy:
            out.append(str(message.id))
            continue
        strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if not all(strings):
            out.append(str(message.id))
    return out


@i18n_cli.command("update")
def update_command() -> None:
    """Merge new strings into both catalogues; fill English with the source text."""
    template = extract()
    for lang in ("nl", "en"):
        catalog = load(lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # a fresh catalogue's header is fuzzy; pybabel would skip it
        if lang == "en":
            for message in catalog:
                if not message.id:
                    continue
                if isinstance(message.id, tuple | list):
                    message.string = tuple(message.id)
                else:
                    message.string = message.id
                message.flags.discard("fuzzy")
        path = catalog_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", delete=False, dir=path.parent) as tmp:
            write_po(tmp, catalog, width=100, sort_output=True, ignore_obsolete=True)
        Path(tmp.name).replace(path)
        click.echo(f"{lang}: {len(catalog)} messages, {len(missing(lang, template))} untranslated")


@i18n_cli.command("check")
def check_command() -> None:
    """Exit 1 when a string has no translation in a catalogue."""
    template = extract()
    failed = False
    for lang in ("nl", "en"):
        gaps = missing(lang, template)
        if gaps:
            failed = True
            click.echo(f"{lang}: {len(gaps)} untranslated: " + "; ".join(gaps[:20]), err=True)
    sys.exit(1 if failed else 0)
