"""The coordinator's review of a pending proposal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional


class ReviewForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf(("approved", "hidden"))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
