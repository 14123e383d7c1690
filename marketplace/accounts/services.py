"""User accounts: creation, authentication, password change and reset.

Every function validates its input completely and raises :class:`InvalidInput` whose
``errors`` map field names (``email``, ``name``, ``password``, ``role``, ``locale``,
``organisation``, ``current_password``, ``token``; ``""`` for the form as a whole) to
every message at once. Functions flush; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.mail import send_mail
from marketplace.accounts.models import Organisation, OutboxMessage, User
from marketplace.core.models import utcnow
from marketplace.core.vocabulary import LOCALES, ROLES
from marketplace.errors import InvalidInput
from marketplace.extensions import db

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200  # scrypt is slow on huge inputs; nobody types more
_RESET_SALT = "reststroom.password-reset"

Errors = dict[str, list[str]]


def add_error(errors: Errors, field: str, message: str) -> None:
    """Append ``message`` to the messages of ``field``."""
    errors.setdefault(field, []).append(message)


def find_user_by_email(email: str) -> User | None:
    """Return the user with this address, compared case-insensitively, or None."""
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def email_problems(
    email: str, *, errors: Errors, field: str = "email", must_be_new: bool = True
) -> str:
    """Check syntax and (``must_be_new``) uniqueness of an address; return it normalised."""
    normalised = User.normalise_email(email or "")
    if not normalised:
        add_error(errors, field, _("Enter an e-mail address."))
        return normalised
    try:
        validate_email(normalised, check_deliverability=False)
    except EmailNotValidError as exc:
        add_error(
            errors,
            field,
            _(
                "%(email)s is not a valid e-mail address: %(reason)s",
                email=repr(email),
                reason=str(exc),
            ),
        )
        return normalised
    if must_be_new and find_user_by_email(normalised) is not None:
        add_error(errors, field, _("An account with this e-mail address already exists."))
    return normalised


def password_problems(password: str, *, errors: Errors, field: str = "password") -> None:
    """Check the length rules of a new password."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        add_error(
            errors,
            field,
            _("Choose a password of at least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
        )
    elif len(password) > PASSWORD_MAX_LENGTH:
        add_error(
            errors,
            field,
            _("Choose a password of at most %(n)d characters.", n=PASSWORD_MAX_LENGTH),
        )


def user_problems(
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    has_organisation: bool,
    locale: str,
    errors: Errors,
    name_field: str = "name",
    email_must_be_new: bool = True,
) -> str:
    """Collect every problem with a new user's details; return the normalised address."""
    normalised = email_problems(email, errors=errors, must_be_new=email_must_be_new)
    if not (name or "").strip():
        add_error(errors, name_field, _("Enter a name."))
    elif len(name.strip()) > 120:
        add_error(errors, name_field, _("A name has at most %(n)d characters.", n=120))
    password_problems(password, errors=errors)
    if role not in ROLES:
        add_error(
            errors,
            "role",
            _(
                "Role %(role)s is not one of %(allowed)s.",
                role=repr(role),
                allowed=", ".join(ROLES),
            ),
        )
    elif role == "member" and not has_organisation:
        add_error(errors, "organisation", _("A member must belong to an organisation."))
    if locale not in LOCALES:
        add_error(
            errors,
            "locale",
            _(
                "Language %(locale)s is not one of %(allowed)s.",
                locale=repr(locale),
                allowed=", ".join(LOCALES),
            ),
        )
    return normalised


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str = "member",
    organisation: Organisation | None = None,
    locale: str = "nl",
    active: bool = True,
) -> User:
    """Create an account; raise :class:`InvalidInput` listing every problem.

    Examples
    --------
    >>> user = create_user(email="Anna@Example.nl", name="Anna", password="x" * 10,
    ...                    role="coordinator")  # doctest: +SKIP
    >>> user.email  # doctest: +SKIP
    'anna@example.nl'
    """
    errors: Errors = {}
    normalised = user_problems(
        email=email,
        name=name,
        password=password,
        role=role,
        has_organisation=organisation is not None,
        locale=locale,
        errors=errors,
    )
    if errors:
        raise InvalidInput(_("The account could not be created."), errors)
    return add_user(
        email=normalised,
        name=name,
        password=password,
        role=role,
        organisation=organisation,
        locale=locale,
        active=active,
    )


def add_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    organisation: Organisation | None,
    locale: str,
    active: bool = True,
) -> User:
    """Add an account whose fields were already checked (see :func:`user_problems`)."""
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        organisation=organisation,
        locale=locale,
        active=active,
        session_version=0,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password", method="scrypt")


def authenticate(email: str, password: str) -> User:
    """Return the active user with this address and password and record the login.

    Raises :class:`InvalidInput` with a form-level message that does not say whether
    the address exists; an inactive account is only revealed to someone who knows
    its password.
    """
    user = find_user_by_email(email or "")
    if user is None:
        # Spend the same time as for a real account, so timing does not reveal addresses.
        check_password_hash(_dummy_hash(), password or "")
        raise InvalidInput(
            _("Unknown e-mail address or wrong password."),
            {"": [_("Unknown e-mail address or wrong password.")]},
        )
    if not user.check_password(password or ""):
        raise InvalidInput(
            _("Unknown e-mail address or wrong password."),
            {"": [_("Unknown e-mail address or wrong password.")]},
        )
    if not user.active:
        message = _("This account has been deactivated; ask the regional coordinator.")
        raise InvalidInput(message, {"": [message]})
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one.

    Bumps ``session_version``, which logs out every other session and refuses
    remember-me cookies and reset links issued before the change.
    """
    errors: Errors = {}
    if not user.check_password(current_password or ""):
        add_error(errors, "current_password", _("This is not your current password."))
    password_problems(new_password, errors=errors, field="new_password")
    if errors:
        raise InvalidInput(_("The password was not changed."), errors)
    user.set_password(new_password)
    db.session.flush()


def end_sessions(user: User) -> None:
    """Log ``user`` out everywhere, on the server: bump ``session_version``.

    Session and remember-me cookies carry the version they were issued with (see
    :meth:`User.get_id` and :func:`marketplace.accounts.loader.load_user`); a copied
    cookie is worthless once the user logs out. Flushes; the caller commits.
    """
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def password_reset_token(user: User) -> str:
    """A signed token naming the user and their session version, valid until either changes."""
    return str(_serializer().dumps({"uid": user.id, "v": user.session_version}))


def user_for_reset_token(token: str) -> User:
    """Return the user a reset token was issued to; raise :class:`InvalidInput` if unusable.

    A token is unusable when its signature is wrong, it is older than
    ``PASSWORD_RESET_MAX_AGE_S``, or the password changed since it was issued (which
    includes its own use).
    """
    max_age_s = int(current_app.config["PASSWORD_RESET_MAX_AGE_S"])
    try:
        data = _serializer().loads(token, max_age=max_age_s)
    except SignatureExpired:
        message = _("This reset link has expired; request a new one.")
        raise InvalidInput(message, {"token": [message]}) from None
    except BadSignature:
        message = _("This reset link is not valid; request a new one.")
        raise InvalidInput(message, {"token": [message]}) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or user.session_version != data.get("v"):
        message = _("This reset link has already been used or is no longer valid.")
        raise InvalidInput(message, {"token": [message]})
    return user


def request_password_reset(
    email: str, *, link_for: Callable[[str], str] | None = None
) -> OutboxMessage | None:
    """E-mail a reset link to an active account with this address; do nothing otherwise.

    Callers must answer the same in both cases, so that the form does not reveal
    which addresses have accounts. ``link_for`` turns a token into the link (default:
    the ``auth.reset_password`` URL). Returns the outbox row when the mail was kept.
    """
    user = find_user_by_email(email or "")
    if user is None or not user.active:
        current_app.logger.info("password reset requested for unknown or inactive address")
        return None
    token = password_reset_token(user)
    link = (link_for or _default_reset_link)(token)
    max_age_min = int(current_app.config["PASSWORD_RESET_MAX_AGE_S"]) // 60
    with force_locale(user.locale):
        subject = _("Reset your Reststroom password")
        body = _(
            "Hello %(name)s,\n\n"
            "Someone (hopefully you) asked to reset the password of your Reststroom account.\n"
            "Choose a new password within %(minutes)d minutes at:\n\n%(link)s\n\n"
            "If you did not ask for this, ignore this message; your password stays as it is.\n",
            name=user.name,
            minutes=max_age_min,
            link=link,
        )
    return send_mail(recipient=user.email, subject=subject, body=body)


def _default_reset_link(token: str) -> str:
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        # Never from the Host header: a forged Host would send the token to another site.
        return str(base_url).rstrip("/") + url_for("auth.reset_password", token=token)
    return url_for("auth.reset_password", token=token, _external=True)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token; the token cannot be used again."""
    user = user_for_reset_token(token)
    errors: Errors = {}
    password_problems(new_password, errors=errors)
    if errors:
        raise InvalidInput(_("The password was not changed."), errors)
    user.set_password(new_password)
    db.session.flush()
    return user
