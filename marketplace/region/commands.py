"""``flask region report``: the regional report as an HTML or PDF file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from marketplace.region.report import PdfEngineMissing, pdf_bytes, report_html, report_page

region_cli = click.Group("region", help="The region's figures and report.")


@region_cli.command("report")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write: .html, or .pdf (needs WeasyPrint and Pango).",
)
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@with_appcontext
def report_command(out: Path, lang: str) -> None:
    """Write the regional report with today's figures."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise click.BadParameter(
            f"{str(out)!r} ends in {out.suffix!r}; use .html or .pdf", param_hint="--out"
        )
    base_url = current_app.config.get("BASE_URL") or "http://localhost"
    # The report's template needs a request context (url_for, the locale).
    with (
        current_app.test_request_context("/region/report", base_url=base_url),
        force_locale(lang),
    ):
        html = report_html(report_page(), current_locale=lang)
    if suffix == ".pdf":
        try:
            data = pdf_bytes(html)
        except PdfEngineMissing as exc:
            raise click.ClickException(str(exc)) from exc
        out.write_bytes(data)
    else:
        out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({out.stat().st_size} bytes)")
