"""Forms of the account pages, and the bridge from service errors to form errors.

Forms check presence, length and confirmation only; the services check everything
else (format, uniqueness, postcode, password rules), so the CLI gets the same rules.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from marketplace.accounts.services import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from marketplace.core.reference_data import sbi_choices, sbi_table
from marketplace.errors import InvalidInput

LOCALE_CHOICES = [SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]


@cache
def _grouped_sbi_choices() -> tuple[tuple[str, str, str | None], ...]:
    table = sbi_table()
    is_division = table["level"] == "division"
    divisions = dict(
        zip(
            table.loc[is_division, "sbi_code"],
            table.loc[is_division, "description_nl"],
            strict=True,
        )
    )
    return tuple(
        (code, label, f"{code[:2]} – {divisions[code[:2]]}" if code[:2] in divisions else None)
        for code, label in sbi_choices()
    )


def sbi_select_choices() -> list[SelectChoice]:
    """SBI classes and subclasses grouped by division, after an empty "choose" option."""
    return [
        SelectChoice("", str(_l("— choose —"))),
        *(
            SelectChoice(code, label, optgroup=group)
            for code, label, group in _grouped_sbi_choices()
        ),
    ]


def apply_service_errors(form: FlaskForm, exc: InvalidInput) -> None:
    """Show a service's field errors on the form's fields; the rest above the form."""
    errors = exc.errors or {"": [str(exc)]}
    for name, messages in errors.items():
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


class _NewPasswordMixin:
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN_LENGTH},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class OrganisationFieldsMixin:
    """The organisation fields shared by registration and the profile form."""

    name = StringField(_l("Organisation name"), validators=[InputRequired(), Length(max=200)])
    kvk = StringField(
        _l("KvK number"),
        validators=[Optional(), Length(max=12)],
        description=_l("8 digits; leave empty if your organisation has none."),
        render_kw={"inputmode": "numeric"},
    )
    # The service checks the choice, with a message that names the value.
    sbi_code = SelectField(
        _l("Main activity (SBI code)"),
        validate_choice=False,
        description=_l("The CBS SBI 2008 class that describes what your organisation does."),
    )
    address = StringField(
        _l("Street and number"),
        validators=[InputRequired(), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    postcode = StringField(
        _l("Postcode"),
        validators=[InputRequired(), Length(max=12)],
        description=_l("For example 7411 AB; it places your organisation on the map."),
        render_kw={"autocomplete": "postal-code"},
    )
    city = StringField(_l("Place"), validators=[InputRequired(), Length(max=80)])

    def _set_sbi_choices(self) -> None:
        self.sbi_code.choices = sbi_select_choices()


class RegistrationForm(OrganisationFieldsMixin, _NewPasswordMixin, FlaskForm):
    contact_name = StringField(
        _l("Your name"),
        validators=[InputRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(), Length(max=254)],
        description=_l("You log in with this address."),
        render_kw={"autocomplete": "email"},
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, default="nl")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._set_sbi_choices()

    def data_for_service(self) -> dict[str, Any]:
        """The keyword arguments of :func:`request_registration` (empty strings for
        missing text; the KvK number stays None when left out)."""
        text = ("name", "sbi_code", "address", "postcode", "city", "contact_name")
        values: dict[str, Any] = {name: self[name].data or "" for name in text}
        values["email"] = self.email.data or ""
        values["password"] = self.password.data or ""
        return values | {"kvk": self.kvk.data, "locale": self.locale.data or "nl"}


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN_LENGTH},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(_NewPasswordMixin, FlaskForm):
    pass


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=80)],
        description=_l("What the token is for, e.g. the system that will use it."),
    )


class RevokeTokenForm(FlaskForm):
    """A revoke button: the CSRF token only."""
