"""The organisation profile form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from marketplace.accounts.forms import OrganisationFieldsMixin


class OrganisationForm(OrganisationFieldsMixin, FlaskForm):
    website = StringField(
        _l("Website"),
        validators=[Optional(), Length(max=200)],
        description=_l("For example https://www.example.nl"),
        render_kw={"inputmode": "url"},
    )
    description = TextAreaField(
        _l("What your organisation does"),
        validators=[Optional(), Length(max=4000)],
        description=_l("A few sentences about your activities, residual streams and needs."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._set_sbi_choices()
