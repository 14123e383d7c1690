"""The form that starts an engine run."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from marketplace.listings.forms import select_choices


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
