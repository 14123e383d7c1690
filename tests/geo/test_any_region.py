"""Any region: the metric CRS choice and the engine's distances against geodesic ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flows.candidates import find_candidates
from flows.normalise import normalise
from geo.crs import ETRS89_LAEA, RD_NEW, choose_metric_crs, min_scale_factor
from geo.distance import geodesic_km, straight_km
from geo.errors import InvalidCoordinates

#: (min_lon, min_lat, max_lon, max_lat) of each country, roughly its land extent.
COUNTRIES = {
    "netherlands": (3.4, 51.3, 7.1, 53.4),
    "denmark": (8.1, 54.6, 12.6, 57.7),
    "germany": (6.2, 47.5, 14.9, 54.8),
    "spain": (-8.9, 36.2, 3.2, 43.7),
    "finland": (21.0, 60.0, 30.0, 69.5),
}


def pairs_within(country: str, *, max_km: float, n: int, seed: int):
    """Random point pairs in a country, each pair at most ``max_km`` apart (geodesic)."""
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = COUNTRIES[country]
    lon1 = rng.uniform(min_lon, max_lon, n * 20)
    lat1 = rng.uniform(min_lat, max_lat, n * 20)
    lon2 = rng.uniform(min_lon, max_lon, n * 20)
    lat2 = rng.uniform(min_lat, max_lat, n * 20)
    km = geodesic_km(lon1, lat1, lon2, lat2)
    keep = np.flatnonzero((km <= max_km) & (km > 1.0))[:n]
    assert keep.size == n
    return lon1[keep], lat1[keep], lon2[keep], lat2[keep], km[keep]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("netherlands", RD_NEW),
        ("denmark", "EPSG:32632"),
        ("germany", "EPSG:32632"),
        ("spain", ETRS89_LAEA),  # 29T to 31T: three zones
        ("finland", ETRS89_LAEA),  # 34 to 36
    ],
)
def test_the_crs_is_rd_new_in_the_netherlands_else_utm_or_laea(country, expected):
    min_lon, min_lat, max_lon, max_lat = COUNTRIES[country]
    assert choose_metric_crs(lon=[min_lon, max_lon], lat=[min_lat, max_lat]) == expected


def test_a_small_region_abroad_gets_its_own_utm_zone():
    assert choose_metric_crs(lon=[-3.8, -3.6], lat=[40.3, 40.5]) == "EPSG:32630"  # Madrid
    assert choose_metric_crs(lon=[24.8, 25.1], lat=[60.1, 60.3]) == "EPSG:32635"  # Helsinki
    assert choose_metric_crs(lon=[-70.0, 20.0], lat=[-30.0, 50.0]).startswith("EPSG:32")


def test_choose_metric_crs_names_a_bad_option_or_point():
    with pytest.raises(ValueError, match="max_utm_zones 0 must be a positive integer"):
        choose_metric_crs(lon=6.0, lat=52.0, max_utm_zones=0)
    with pytest.raises(InvalidCoordinates, match="lat has 1 value"):
        choose_metric_crs(lon=6.0, lat=95.0)


@pytest.mark.parametrize("country", list(COUNTRIES))
def test_the_chosen_crs_measures_300_km_pairs_within_half_a_percent(country):
    lon1, lat1, lon2, lat2, km = pairs_within(country, max_km=300.0, n=400, seed=1)
    crs = choose_metric_crs(lon=np.r_[lon1, lon2], lat=np.r_[lat1, lat2])
    measured = straight_km(lon1, lat1, lon2, lat2, crs=crs)
    if crs == ETRS89_LAEA:
        # LAEA is equal-area, not conformal: far from 10 E 52 N it is off by more than
        # 0.5 %, which is why the engine measures such data geodesically.
        assert np.max(np.abs(measured / km - 1)) < 0.03
    else:
        assert np.max(np.abs(measured / km - 1)) < 0.005


def test_rd_new_holds_at_the_300_km_extreme_of_the_netherlands():
    # Cadzand (Zeeuws-Vlaanderen) to Bad Nieuweschans (Groningen) and Den Helder to
    # Vaals: the longest straight lines across the country.
    lon1, lat1 = np.array([3.40, 4.76]), np.array([51.37, 52.96])
    lon2, lat2 = np.array([7.17, 6.02]), np.array([53.18, 50.77])
    km = geodesic_km(lon1, lat1, lon2, lat2)
    assert km.min() > 240 and km.max() > 300
    rd_km = straight_km(lon1, lat1, lon2, lat2, crs=RD_NEW)
    assert np.max(np.abs(rd_km / km - 1)) < 0.0005  # 0.05 %, ten times inside the bound


def frames(lon1, lat1, lon2, lat2, *, max_km):
    n = lon1.shape[0]
    common = {"material": "metals.ferrous", "unit": "t", "frequency": "year", "quantity": 1.0}
    offers = pd.DataFrame(
        {"ref": [f"o{i}" for i in range(n)], "organisation": [f"O{i}" for i in range(n)],
         "lon": lon1, "lat": lat1, "ewc_code": "17 04 05", **common}
    )  # fmt: skip
    needs = pd.DataFrame(
        {"ref": [f"n{i}" for i in range(n)], "organisation": [f"N{i}" for i in range(n)],
         "lon": lon2, "lat": lat2, "max_distance_km": max_km, **common}
    )  # fmt: skip
    return normalise(offers, needs)


@pytest.mark.parametrize("country", list(COUNTRIES))
def test_engine_distances_match_geodesic_ones_and_no_pair_is_missed(country):
    lon1, lat1, lon2, lat2, _ = pairs_within(country, max_km=300.0, n=150, seed=2)
    normal = frames(lon1, lat1, lon2, lat2, max_km=250.0)
    edges = find_candidates(normal.offers, normal.needs, circuity=1.0)
    o, n = edges.offer_idx, edges.need_idx
    geodesic = geodesic_km(lon1[o], lat1[o], lon2[n], lat2[n])
    assert np.max(np.abs(edges.distance_km / geodesic - 1)) < 0.005
    # Every pair within the limit (away from its edge) is found, and none beyond it.
    all_km = geodesic_km(lon1[:, None], lat1[:, None], lon2[None, :], lat2[None, :])
    found = np.zeros_like(all_km, dtype=bool)
    found[o, n] = True
    assert found[all_km <= 250.0 * 0.995].all()
    assert not found[all_km > 250.0 * 1.005].any()
    assert len(edges) > 100


def test_min_scale_factor_bounds_the_laea_shrink_far_from_its_centre():
    # Lisbon lies ~2,300 km from 10 E 52 N: LAEA's radial scale there is ~0.98.
    factor = min_scale_factor(ETRS89_LAEA, [-9.14, 10.0], [38.72, 52.0])
    assert 0.97 < factor < 0.99
