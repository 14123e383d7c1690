"""Forms of the listings pages."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from marketplace.core.reference_data import chapter_choices, municipality_choices
from marketplace.core.vocabulary import choices
from marketplace.listings.limits import (
    DISTANCE_LIMIT_MESSAGE,
    MAX_DISTANCE_KM,
    MAX_PRICE_EUR_PER_UNIT,
    MAX_QUANTITY_PER_UNIT,
    PRICE_LIMIT_MESSAGE,
    QUANTITY_LIMIT_MESSAGE,
)
from marketplace.listings.search import SearchFilters
from marketplace.listings.views import material_choices


class Finite:
    """Stop at NaN and infinity (``1e400`` parses as infinity) with ``message``.

    Goes before ``NumberRange``, which cannot compare ``Decimal("sNaN")`` and would fail.
    """

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        try:
            finite = field.data is None or math.isfinite(float(field.data))
        except (TypeError, ValueError, ArithmeticError):
            finite = False
        if not finite:
            raise StopValidation(str(self.message))


def select_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as SelectChoice (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


LOCATION_LABELS = {
    "site": _l("Our organisation's site"),
    "postcode": _l("Another postcode"),
    "map": _l("A point on the map"),
}


def quantity_validators() -> list[Any]:
    """A required, finite quantity greater than 0 and within the limit (listings, deliveries)."""
    return [
        InputRequired(),
        Finite(QUANTITY_LIMIT_MESSAGE),
        NumberRange(min=0.000001, message=_l("The quantity must be greater than 0.")),
        NumberRange(max=MAX_QUANTITY_PER_UNIT, message=QUANTITY_LIMIT_MESSAGE),
    ]


class ListingForm(FlaskForm):
    kind = RadioField(
        _l("Kind"),
        choices=select_choices(choices("kind_choice")),
        default="offer",
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    material = SelectField(_l("Material category"), validators=[InputRequired()])
    ewc_code = StringField(
        _l("EWC code (Euralcode)"),
        validators=[Optional(), Length(max=12)],
        description=_l("Search by code or description, e.g. 17 08 02 or 'gips'."),
    )
    accepted_ewc_codes = StringField(
        _l("Accepted EWC codes"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "Needs only: codes you can take, separated by ';'. Empty = any fitting code."
        ),
    )
    quantity = DecimalField(_l("Quantity"), places=None, validators=quantity_validators())
    unit = SelectField(_l("Unit"), choices=select_choices(choices("unit")), default="t")
    frequency = SelectField(
        _l("Frequency"), choices=select_choices(choices("frequency")), default="year"
    )
    available_from = DateField(_l("Available from"), validators=[Optional()])
    available_until = DateField(_l("Available until"), validators=[Optional()])
    location_mode = RadioField(
        _l("Location"), choices=select_choices(LOCATION_LABELS.items()), default="site"
    )
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=8)])
    lat = FloatField(_l("Latitude"), validators=[Optional()], widget=HiddenField.widget)
    lon = FloatField(_l("Longitude"), validators=[Optional()], widget=HiddenField.widget)
    max_distance_km = FloatField(
        _l("Maximum transport distance (km)"),
        validators=[
            Optional(),
            Finite(DISTANCE_LIMIT_MESSAGE),
            NumberRange(min=0.1),
            NumberRange(max=MAX_DISTANCE_KM, message=DISTANCE_LIMIT_MESSAGE),
        ],
        description=_l(
            "Needs only. Empty = the regional default. Rounded up to a multiple of 5 km, so "
            "that distance limits cannot be used to locate an anonymous firm."
        ),
    )
    current_route = SelectField(
        _l("Where does it go today?"),
        choices=select_choices([("", "—"), *choices("route")]),
        validators=[Optional()],
    )
    current_source = SelectField(
        _l("Where does it come from today?"),
        choices=select_choices([("", "—"), *choices("source")]),
        validators=[Optional()],
    )
    current_source_km = FloatField(
        _l("Distance of the current supplier (km)"),
        validators=[
            Optional(),
            Finite(DISTANCE_LIMIT_MESSAGE),
            NumberRange(min=0),
            NumberRange(max=MAX_DISTANCE_KM, message=DISTANCE_LIMIT_MESSAGE),
        ],
    )
    price_terms = SelectField(
        _l("Price"), choices=select_choices(choices("price_terms")), default="negotiable"
    )
    price_eur_per_unit = DecimalField(
        _l("Amount (EUR per unit)"),
        places=None,
        validators=[
            Optional(),
            Finite(PRICE_LIMIT_MESSAGE),
            NumberRange(min=0),
            NumberRange(max=MAX_PRICE_EUR_PER_UNIT, message=PRICE_LIMIT_MESSAGE),
        ],
    )
    visibility = RadioField(
        _l("Visibility"), choices=select_choices(choices("visibility_choice")), default="public"
    )
    save_draft = SubmitField(_l("Save as draft"))
    publish = SubmitField(_l("Publish"))

    def data_for_service(self) -> dict[str, object]:
        data = {name: field.data for name, field in self._fields.items()}
        for name in ("quantity", "price_eur_per_unit"):
            if data.get(name) is not None:
                data[name] = float(data[name])  # type: ignore[arg-type]
        return data


class StatusForm(FlaskForm):
    status = HiddenField(validators=[InputRequired()])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    kind = SelectField(
        _l("Kind"),
        choices=select_choices(
            [("", _l("offers and needs")), ("offer", _l("offers")), ("need", _l("needs"))]
        ),
        validators=[Optional()],
    )
    category = SelectField(_l("Category"), validators=[Optional()])
    chapter = SelectField(_l("EWC chapter"), validators=[Optional()])
    municipality = SelectField(_l("Municipality"), validators=[Optional()])
    hazardous = SelectField(
        _l("Hazardous"),
        choices=select_choices(
            [("", _l("all")), ("no", _l("not hazardous")), ("yes", _l("hazardous only"))]
        ),
        validators=[Optional()],
    )
    within_km = FloatField(
        _l("Within km of my site"), validators=[Optional(), NumberRange(min=0.1, max=500)]
    )
    sort = SelectField(
        _l("Sort by"),
        choices=select_choices([("recent", _l("newest first")), ("distance", _l("nearest first"))]),
        validators=[Optional()],
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1)], default=1)


#: The search parameters a results page carries over to its other pages and the map data.
SEARCH_FIELDS = (
    "q",
    "kind",
    "category",
    "chapter",
    "municipality",
    "hazardous",
    "within_km",
    "sort",
)


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), validators=[FileRequired()])
    organisation = SelectField(_l("Organisation"), validators=[Optional()], coerce=str)


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[InputRequired()])
    organisation = HiddenField()


def search_form(args: Any, lang: str) -> SearchForm:
    """The search form over ``args`` (the query string), its choices in ``lang``."""
    form = SearchForm(args)
    form.category.choices = [("", _l("all categories")), *material_choices(lang)]
    form.chapter.choices = [("", _l("all chapters")), *chapter_choices(lang)]
    form.municipality.choices = [("", _l("all municipalities")), *municipality_choices()]
    return form


def search_filters(form: SearchForm, **overrides: Any) -> SearchFilters:
    """The search a (validated) search form asks for; ``overrides`` win (e.g. ``per_page``)."""
    hazardous = {"yes": True, "no": False}.get(form.hazardous.data or "")
    values: dict[str, Any] = {
        "q": form.q.data or "",
        "kind": form.kind.data or None,
        "category": form.category.data or None,
        "chapter": form.chapter.data or None,
        "municipality": form.municipality.data or None,
        "hazardous": hazardous,
        "within_km": form.within_km.data if form.within_km.data else None,
        "sort": form.sort.data or "recent",
        "page": form.page.data or 1,
    }
    return SearchFilters(**{**values, **overrides})
