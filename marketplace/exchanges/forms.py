"""Forms of the match pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from marketplace.core.vocabulary import MATCH_SIDES, choices
from marketplace.listings.forms import quantity_validators, select_choices

#: The sides of a match someone may act for.
SIDES = MATCH_SIDES


class ActionForm(FlaskForm):
    """A button that changes state: the CSRF token and, for coordinators, the firm's side.

    Members act for their own firm and leave ``side`` empty; a coordinator acting on
    behalf of a firm names it, so that one click never speaks for both firms.
    """

    side = HiddenField(validators=[Optional(), AnyOf(SIDES)])


class DeliveryForm(FlaskForm):
    delivered_on = DateField(_l("Delivered on"), validators=[InputRequired()])
    quantity = DecimalField(_l("Quantity"), places=None, validators=quantity_validators())
    unit = SelectField(_l("Unit"), choices=select_choices(choices("unit")))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    side = HiddenField(validators=[Optional(), AnyOf(SIDES)])
