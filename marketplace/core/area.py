"""The service area: where sites and listings may plausibly lie (``RESTSTROOM_SERVICE_AREA``).

The area itself is :func:`geo.service_area` (checked at start-up in ``config.py``); this
module reads it from the app's configuration and words the refusal in the user's language,
naming the point and the area.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from geo import ServiceArea, service_area


def current_service_area() -> ServiceArea:
    """The configured service area (computed once per setting, then cached by ``geo``)."""
    return service_area(
        current_app.config["SERVICE_AREA"],
        buffer_km=float(current_app.config["SERVICE_AREA_BUFFER_KM"]),
    )


def area_label(area: ServiceArea) -> str:
    """The area as users read it, e.g. "Nederland plus 50 km"."""
    if area.key == "NL":
        base = _("the Netherlands")
    elif area.key == "cleantech_regio":
        base = _("the Cleantech Regio")
    elif area.key == "world":
        return _("anywhere")
    else:
        setting = str(current_app.config["SERVICE_AREA"]).strip()
        base = _("the area lon/lat %(box)s", box=setting)
    if area.buffer_km == 0:
        return base
    return _("%(area)s plus %(buffer_km)s km", area=base, buffer_km=format(area.buffer_km, "g"))


def outside_message(lon: float, lat: float) -> str | None:
    """Why the WGS84 point lies outside the service area, or None when it lies inside."""
    area = current_service_area()
    if area.contains(float(lon), float(lat)):
        return None
    return _(
        "The point (lon %(lon)s, lat %(lat)s) lies outside the service area of this "
        "marketplace (%(area)s).",
        lon=format(float(lon), ".4f"),
        lat=format(float(lat), ".4f"),
        area=area_label(area),
    )
