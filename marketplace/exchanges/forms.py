"""Forms of the match pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

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


class DeclineForm(ActionForm):
    reason = SelectField(
        _l("Reason"),
        choices=select_choices(choices("decline_reason")),
        validators=[InputRequired()],
    )
    note = TextAreaField(_l("Explanation (optional)"), validators=[Optional(), Length(max=2000)])


class WithdrawForm(ActionForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class TermsForm(ActionForm):
    quantity_per_year = DecimalField(
        _l("Quantity per year"), places=None, validators=[Optional(), *quantity_validators()[1:]]
    )
    start_on = DateField(_l("Start date"), validators=[Optional()])
    price_terms = SelectField(
        _l("Price terms"),
        choices=select_choices([("", "–"), *choices("price_terms")]),
        validators=[Optional()],
    )


class RespondForm(ActionForm):
    answer = HiddenField(validators=[AnyOf(("confirm", "reject"))])


class DeliveryForm(FlaskForm):
    delivered_on = DateField(_l("Delivered on"), validators=[InputRequired()])
    quantity = DecimalField(_l("Quantity"), places=None, validators=quantity_validators())
    unit = SelectField(_l("Unit"), choices=select_choices(choices("unit")))
    document_number = StringField(
        _l("Document number (e.g. waste transport form)"),
        validators=[Optional(), Length(max=60)],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    side = HiddenField(validators=[Optional(), AnyOf(SIDES)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Facilitator note"), validators=[DataRequired(), Length(max=2000)])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=5000)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NotificationSettingsForm(FlaskForm):
    email_on = MultiCheckboxField(
        _l("Send me an e-mail when"), choices=select_choices(choices("notification_kind"))
    )
    daily_digest = BooleanField(_l("One e-mail a day with everything (daily digest)"))
