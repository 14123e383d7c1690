"""``flask users`` and ``flask tokens``: accounts and API tokens from the command line.

The commands call the same services as the web pages and commit once. Messages are
in English (operators' language), whatever the interface default.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from marketplace.accounts.models import ApiToken, User
from marketplace.accounts.organisations import find_organisation
from marketplace.accounts.services import create_user, find_user_by_email
from marketplace.accounts.tokens import create_token, find_token, revoke_token
from marketplace.core.vocabulary import ROLES
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db

users_cli = AppGroup("users", help="User accounts: create and list.")


def _fail(exc: InvalidInput | NotFound) -> click.ClickException:
    details = [
        f"{field or 'input'}: {message}"
        for field, messages in getattr(exc, "errors", {}).items()
        for message in messages
    ]
    return click.ClickException("\n".join([str(exc), *details]))


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name of the person.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="member",
    show_default=True,
    help="member: works for one organisation; coordinator: the region; admin: everything.",
)
@click.option(
    "--organisation",
    "organisation_key",
    metavar="NAME_OR_KVK",
    help="Organisation by exact name or KvK number (required for members).",
)
@click.option("--locale", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
def users_create(
    email: str,
    name: str,
    role: str,
    organisation_key: str | None,
    locale: str,
    password_stdin: bool,
) -> None:
    """Create an account for EMAIL."""
    with force_locale("en"):
        organisation = None
        if organisation_key:
            try:
                organisation = find_organisation(organisation_key)
            except (InvalidInput, NotFound) as exc:
                raise _fail(exc) from None
        elif role == "member":
            raise click.UsageError("a member needs --organisation NAME_OR_KVK")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt(
                "Password", hide_input=True, confirmation_prompt="Repeat the password"
            )
        try:
            user = create_user(
                email=email,
                name=name,
                password=password,
                role=role,
                organisation=organisation,
                locale=locale,
            )
        except InvalidInput as exc:
            db.session.rollback()
            raise _fail(exc) from None
        db.session.commit()
        where = f" of {organisation.name}" if organisation else ""
        click.echo(f"created {user.role} {user.email}{where}")


@users_cli.command("list")
def users_list() -> None:
    """List every account: email, name, role, organisation, active."""
    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    header = ("email", "name", "role", "organisation", "active")
    rows = [
        (
            u.email,
            u.name,
            u.role,
            u.organisation.name if u.organisation else "-",
            "yes" if u.active else "no",
        )
        for u in users
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        click.echo(
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
    click.echo(f"{len(rows)} user(s)")


tokens_cli = AppGroup("tokens", help="Personal API tokens: create, list and revoke.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'ERP koppeling'.")
def tokens_create(email: str, name: str) -> None:
    """Create an API token for EMAIL; the token is printed once, alone on the last line."""
    with force_locale("en"):
        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"no account with e-mail address {email!r}")
        try:
            row, token = create_token(user, name=name)
        except InvalidInput as exc:
            db.session.rollback()
            raise _fail(exc) from None
        db.session.commit()
        click.echo(f"created token {row.id} {row.name!r} ({row.prefix}...) for {user.email}")
        click.echo("Store it now: it is not shown again.")
        click.echo(token)


@tokens_cli.command("list")
@click.option("--user", "email", metavar="EMAIL", help="Only this account's tokens.")
def tokens_list(email: str | None) -> None:
    """List the live tokens: id, name, prefix, account, created, last used."""
    stmt = (
        sa.select(ApiToken)
        .join(ApiToken.user)
        .where(ApiToken.revoked_at.is_(None))
        .order_by(User.email, ApiToken.id)
    )
    if email:
        stmt = stmt.where(User.email == User.normalise_email(email))
    rows = db.session.scalars(stmt).all()
    for row in rows:
        used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
        click.echo(
            f"{row.id}  {row.name!r}  {row.prefix}...  {row.user.email}  "
            f"created {row.created_at:%Y-%m-%d}  last used {used}"
        )
    click.echo(f"{len(rows)} token(s)")


@tokens_cli.command("revoke")
@click.argument("key")
@click.option(
    "--user", "email", metavar="EMAIL", help="The account whose token KEY (id or name) is."
)
def tokens_revoke(key: str, email: str | None) -> None:
    """Revoke the token KEY: its id, or its name together with --user EMAIL."""
    with force_locale("en"):
        user = None
        if email:
            user = find_user_by_email(email)
            if user is None:
                raise click.ClickException(f"no account with e-mail address {email!r}")
        try:
            row = find_token(user, key)
        except NotFound as exc:
            raise click.ClickException(
                str(exc) if user else f"{exc} (to revoke by name, add --user EMAIL)"
            ) from None
        revoke_token(row)
        db.session.commit()
        click.echo(f"revoked token {row.id} {row.name!r} of {row.user.email}")
