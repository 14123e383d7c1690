"""Forms of the match pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from flows.schema import UNITS
from marketplace.listings.forms import select_choices


class ActionForm(FlaskForm):
    """An empty form: a button that changes state carries only the CSRF token."""


class DeliveryForm(FlaskForm):
    delivered_on = DateField(_l("Delivered on"), validators=[InputRequired()])
    quantity = DecimalField(
        _l("Quantity"),
        places=None,
        validators=[
            InputRequired(),
            NumberRange(min=0.000001, message=_l("The quantity must be greater than 0.")),
        ],
    )
    unit = SelectField(_l("Unit"), choices=select_choices((u, u) for u in UNITS))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class RunForm(FlaskForm):
    objective = SelectField(
        _l("Objective"),
        choices=select_choices(
            [
                ("co2", _l("most CO2 avoided")),
                ("tonnes", _l("most material exchanged, then fewest tonne-km")),
            ]
        ),
        default="co2",
    )
