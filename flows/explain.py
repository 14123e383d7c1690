"""Why an offer and a need are, or are not, a candidate pair.

:func:`explain_pair` runs the checks of :func:`flows.candidates.find_candidates` on one
(offer, need) pair and says which pass and which fail, with the numbers: unit family,
availability windows, organisations, material (the need's list of accepted EWC codes,
the law of :mod:`flows.legal`, or the taxonomy's rules) and distance against the
need's limit. ``python -m flows match LISTINGS --explain OFFER_REF:NEED_REF`` prints it.

Examples
--------
>>> import pandas as pd
>>> rows = dict(organisation=["A", "B"], quantity=[5.0, 5.0], unit=["t", "t"],
...             frequency=["year", "year"], lat=[52.25, 52.21], lon=[6.16, 5.96])
>>> offers = pd.DataFrame({k: [v[0]] for k, v in rows.items()} | {"ref": ["o1"],
...     "material": ["organics.biowaste"], "ewc_code": ["20 01 08"]})
>>> needs = pd.DataFrame({k: [v[1]] for k, v in rows.items()} | {"ref": ["n1"],
...     "material": ["organics.animal_feed"], "accepted_ewc_codes": [("20 01 08",)]})
>>> result = explain_pair(offers, needs, offer_ref="o1", need_ref="n1")
>>> result.candidate, [c.name for c in result.checks if not c.ok]
(False, ['legal rule'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from flows.errors import FlowsError

__all__ = ["Check", "PairExplanation", "explain_pair", "parse_pair"]


@dataclass(frozen=True)
class Check:
    """One check of a pair: its name, whether it passed, and the numbers behind it."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class PairExplanation:
    """The checks of one (offer, need) pair; ``candidate`` when every one passed."""

    offer: str
    need: str
    checks: list[Check] = field(default_factory=list)

    @property
    def candidate(self) -> bool:
        """Whether the pair is a candidate (every check passed)."""
        return all(check.ok for check in self.checks)

    def format(self) -> str:
        """Render the explanation as lines of text."""
        lines = [f"offer {self.offer} -> need {self.need}"]
        lines += [f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in self.checks]
        lines.append(
            "=> a candidate pair"
            if self.candidate
            else "=> not a candidate: " + ", ".join(c.name for c in self.checks if not c.ok)
        )
        return "\n".join(lines)


def parse_pair(text: str) -> tuple[str, str]:
    """Split ``OFFER_REF:NEED_REF`` (a ref may be ``ORGANISATION/REF``).

    Examples
    --------
    >>> parse_pair("F1-01:F2-03")
    ('F1-01', 'F2-03')
    """
    offer, sep, need = text.partition(":")
    if not sep or not offer.strip() or not need.strip():
        raise FlowsError(f"pair {text!r} is not OFFER_REF:NEED_REF (e.g. F0001-01:F0002-03)")
    return offer.strip(), need.strip()


def explain_pair(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    offer_ref: str,
    need_ref: str,
    circuity: float = 1.3,
    default_max_distance_km: float = 50.0,
    road_network: Any | None = None,
) -> PairExplanation:
    """Explain whether the offer ``offer_ref`` and the need ``need_ref`` are candidates.

    Parameters
    ----------
    offers, needs
        Canonical listing frames (as for :func:`flows.propose.propose`).
    offer_ref, need_ref
        The listings' ``ref``; ``ORGANISATION/REF`` when a ref is used by several
        organisations.
    circuity, default_max_distance_km, road_network
        As :class:`flows.propose.Params`.

    Returns
    -------
    PairExplanation
        One :class:`Check` per rule of :func:`flows.candidates.find_candidates`.

    Raises
    ------
    flows.errors.FlowsError
        If a ref names no listing, or several.
    """
    from flows.normalise import normalise_listings

    offer = normalise_listings(_one(offers, offer_ref, side="offer")).iloc[0]
    need = normalise_listings(_one(needs, need_ref, side="need")).iloc[0]
    label_o = f"{offer['organisation']}/{offer['ref']}"
    label_n = f"{need['organisation']}/{need['ref']}"
    checks = [
        _family(offer, need),
        _window(offer, need),
        _organisations(offer, need),
        *_material(offer, need),
        _distance(
            offers,
            needs,
            offer,
            need,
            circuity=circuity,
            default_max_distance_km=default_max_distance_km,
            road_network=road_network,
        ),
    ]
    return PairExplanation(offer=label_o, need=label_n, checks=checks)


# -- helpers -------------------------------------------------------------------------------


def _one(frame: pd.DataFrame, ref: str, *, side: str) -> pd.DataFrame:
    refs = frame["ref"].astype(str)
    orgs = frame["organisation"].astype(str)
    hit = refs == ref
    if not hit.any() and "/" in ref:
        organisation, _, bare = ref.rpartition("/")
        hit = (refs == bare) & (orgs == organisation)
    found = frame.loc[hit.to_numpy()]
    if len(found) == 0:
        raise FlowsError(f"no {side} has ref {ref!r}")
    if len(found) > 1:
        names = ", ".join(sorted(set(found["organisation"].astype(str))))
        raise FlowsError(
            f"{len(found)} {side}s have ref {ref!r} (organisations {names}); write ORGANISATION/REF"
        )
    # Explain the pair even when its quantity is already committed elsewhere.
    found = found.assign(committed_quantity=0.0) if "committed_quantity" in found else found
    return found.reset_index(drop=True)


def _family(offer: pd.Series, need: pd.Series) -> Check:
    ok = offer["family"] == need["family"]
    detail = (
        f"both in {offer['family']} ({offer['unit']} and {need['unit']})"
        if ok
        else f"offer in {offer['family']} ({offer['unit']}), need in {need['family']} "
        f"({need['unit']}); quantities cannot be compared"
    )
    return Check("unit family", bool(ok), detail)


def _day(day: int) -> str:
    if day <= np.iinfo(np.int32).min or day >= np.iinfo(np.int32).max:
        return "open"
    return (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()


def _window(offer: pd.Series, need: pd.Series) -> Check:
    ok = offer["start_day"] <= need["end_day"] and need["start_day"] <= offer["end_day"]
    text = (
        f"offer {_day(offer['start_day'])} to {_day(offer['end_day'])}, "
        f"need {_day(need['start_day'])} to {_day(need['end_day'])}"
    )
    return Check("availability window", bool(ok), text + ("" if ok else ": they do not overlap"))


def _organisations(offer: pd.Series, need: pd.Series) -> Check:
    same = str(offer["organisation"]) == str(need["organisation"])
    if same:
        return Check(
            "organisation",
            False,
            f"both listed by {offer['organisation']}; a firm does not exchange with itself",
        )
    return Check("organisation", True, f"{offer['organisation']} and {need['organisation']}")


def _material(offer: pd.Series, need: pd.Series) -> list[Check]:
    from flows.errors import InvalidEWCCode
    from flows.legal import canonical_code, feed_refusal
    from flows.taxonomy import CATEGORIES, match_rule

    offered, needed = str(offer["material"]), str(need["material"])
    raw_code = offer.get("ewc_code")
    try:
        code = canonical_code(raw_code)
    except InvalidEWCCode:
        code = None
    accepted = need.get("accepted_ewc_codes")
    listed = [c for c in (accepted or ()) if isinstance(c, str) and c.strip()]
    if listed:
        canon = []
        for c in listed:
            try:
                canon.append(canonical_code(c))
            except InvalidEWCCode:
                continue
        shown = "; ".join(c for c in canon if c)
        if code is None or code not in canon:
            hazard = (
                " (a hazardous entry: only matched when the need lists it)"
                if (code or "").endswith("*")
                else ""
            )
            return [
                Check(
                    "code not accepted",
                    False,
                    f"the offer's EWC code {code or 'is missing'}{hazard}; the need accepts "
                    f"only {shown}",
                )
            ]
        checks = [Check("accepted code", True, f"{code} is on the need's list ({shown})")]
        refusal = feed_refusal(code, needed)
        if refusal is not None:
            checks.append(Check("legal rule", False, refusal.message(need_material=needed)))
        elif (
            CATEGORIES.get(offered) is not None
            and CATEGORIES[offered].hazardous
            and not (code.endswith("*"))
        ):
            checks.append(
                Check(
                    "legal rule",
                    False,
                    f"the offer declares the hazardous material {offered} under the "
                    f"non-hazardous code {code}; hazardous waste is only matched under its "
                    "own hazardous code",
                )
            )
        return checks
    rule = match_rule(offered, needed)
    if rule is None:
        detail = f"the taxonomy has no rule from {offered} to {needed}"
        refusal = feed_refusal(code, needed) if code else None
        if refusal is not None:
            return [Check("legal rule", False, refusal.message(need_material=needed))]
        return [Check("incompatible material", False, detail)]
    return [Check("material", True, f"{offered} -> {needed} ({rule.kind}): {rule.reason_en}")]


def _distance(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    offer: pd.Series,
    need: pd.Series,
    *,
    circuity: float,
    default_max_distance_km: float,
    road_network: Any | None,
) -> Check:
    from flows.candidates import straight_km_pairs

    straight = float(
        straight_km_pairs(
            all_lon=np.r_[offers["lon"].to_numpy(float), needs["lon"].to_numpy(float)],
            all_lat=np.r_[offers["lat"].to_numpy(float), needs["lat"].to_numpy(float)],
            lon1=np.array([float(offer["lon"])]),
            lat1=np.array([float(offer["lat"])]),
            lon2=np.array([float(need["lon"])]),
            lat2=np.array([float(need["lat"])]),
        )[0]
    )
    limit = pd.to_numeric(pd.Series([need.get("max_distance_km")]), errors="coerce").iloc[0]
    limit_km = float(default_max_distance_km) if pd.isna(limit) else float(limit)
    if road_network is not None:
        road = float(
            np.asarray(
                road_network.distance_km(
                    float(offer["lon"]), float(offer["lat"]), float(need["lon"]), float(need["lat"])
                )
            )
        )
        how = "over the road network"
    else:
        road = straight * circuity
        how = f"by road (straight x circuity {circuity:g})"
    ok = bool(np.isfinite(road) and road <= limit_km * (1 + 1e-9))
    return Check(
        "distance",
        ok,
        f"{straight:.1f} km straight, {road:.1f} km {how}; the need's limit is {limit_km:g} km",
    )
