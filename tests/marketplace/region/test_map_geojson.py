"""The circularity map's GeoJSON: valid RFC 7946, disclosure, permissions, filters and
aggregates whose totals are the sums of the exchanges they stand for."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from marketplace.core.disclosure import municipality_points
from marketplace.region.map_data import EXCHANGE_LAYERS
from tests.marketplace.helpers import login
from tests.marketplace.region.map_world import DEVENTER_HIDDEN_SITE, MapWorld

#: The Netherlands, generously (lon west..east, lat south..north).
NL_LON = (3.2, 7.3)
NL_LAT = (50.7, 53.6)
API = "/api/v1/map"
#: Around Deventer, Zutphen and Apeldoorn at street-level zoom.
STREET = {"bbox": "5.90,52.10,6.30,52.30", "zoom": "13"}
REGION = {"bbox": "5.6,51.9,6.6,52.5", "zoom": "10"}
NATIONAL = {"bbox": "3.0,50.5,7.5,53.7", "zoom": "7"}


def positions(geometry: dict[str, Any]) -> list[list[float]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [coords]
    if kind in ("LineString", "MultiPoint"):
        return coords
    if kind in ("Polygon", "MultiLineString"):
        return [p for ring in coords for p in ring]
    if kind == "MultiPolygon":
        return [p for polygon in coords for ring in polygon for p in ring]
    raise AssertionError(f"unexpected geometry type {kind!r}")


def assert_geojson_in_nl(data: dict[str, Any]) -> None:
    """An RFC 7946 FeatureCollection whose every position is lon/lat inside the Netherlands."""
    assert data["type"] == "FeatureCollection"
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        points = positions(feature["geometry"])
        assert points
        for lon, lat in points:
            assert NL_LON[0] <= lon <= NL_LON[1], (lon, lat)
            assert NL_LAT[0] <= lat <= NL_LAT[1], (lon, lat)
        if feature["geometry"]["type"] == "Polygon":
            for ring in feature["geometry"]["coordinates"]:
                assert ring[0] == ring[-1] and len(ring) >= 4


def get(client: FlaskClient, path: str, **params: str) -> dict[str, Any]:
    response = client.get(f"{API}/{path}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/geo+json"
    data = response.get_json()
    assert_geojson_in_nl(data)
    return data


def feature(data: dict[str, Any], public_id: str) -> dict[str, Any]:
    [found] = [f for f in data["features"] if f["properties"]["id"] == public_id]
    return found


# --- municipalities ----------------------------------------------------------------------


def test_municipal_boundaries_are_valid_geojson_with_the_region_outline(
    client: FlaskClient, world: MapWorld
) -> None:
    data = get(client, "municipalities.geojson")
    municipalities = [f for f in data["features"] if not f["properties"].get("outline")]
    outline = [f for f in data["features"] if f["properties"].get("outline")]
    assert len(municipalities) == 345
    assert sum(f["properties"]["in_region"] for f in municipalities) == 8
    assert len(outline) == 1 and outline[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # The public gets boundaries only: no figures, even when it asks.
    assert "exchanged_t" not in municipalities[0]["properties"]
    assert "exchanged_t" not in str(get(client, "municipalities.geojson", figures="1"))
    assert len(client.get(f"{API}/municipalities.geojson").data) < 1_000_000


def test_coordinators_get_choropleth_figures_that_add_up_to_the_region(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.coordinator)
    assert "exchanged_t" not in str(get(client, "municipalities.geojson"))  # on request only
    data = get(client, "municipalities.geojson", figures="1")
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    agreed_t = sum(
        m.mass_t_per_year or 0.0
        for m in world.matches.values()
        if m.status in ("agreed", "active", "completed")
    )
    assert sum(p.get("exchanged_t", 0) for p in by_code.values() if p["code"]) == pytest.approx(
        agreed_t
    )
    # Wood (50 t, A Deventer -> C Apeldoorn): 25 t at each end; steel (30 t, Zutphen ->
    # Apeldoorn): 15 t each.
    assert by_code["GM0150"]["exchanged_t"] == pytest.approx(25.0)
    assert by_code["GM0200"]["exchanged_t"] == pytest.approx(40.0)
    assert by_code["GM0150"]["active_firms"] == 1
    # Grain 100 t, of which 100 t proposed: nothing left; Bostel II 20 t, 20 t accepted;
    # the wood is taken by its agreed match: Deventer has no unmatched supply.
    assert by_code["GM0150"]["unmatched_supply_t"] == pytest.approx(0.0)


# --- listings ----------------------------------------------------------------------------


def test_listing_clusters_count_every_open_listing(client: FlaskClient, world: MapWorld) -> None:
    data = get(client, "listings.geojson", **REGION)
    assert data["reststroom"]["level"] == "municipality"
    clusters = {f["properties"]["name"]: f["properties"] for f in data["features"]}
    assert {name: p["count"] for name, p in clusters.items()} == {
        "Deventer": 4,
        "Zutphen": 2,
        "Apeldoorn": 3,
    }
    assert clusters["Deventer"]["offer"] == 3 and clusters["Deventer"]["need"] == 1
    assert clusters["Deventer"]["families"] == {"organics": 3, "energy": 1}
    # No firm, no title in a cluster.
    assert "Aaltink" not in str(data)


def test_national_zoom_clusters_per_grid_cell_with_the_same_total(
    client: FlaskClient, world: MapWorld
) -> None:
    data = get(client, "listings.geojson", **NATIONAL)
    assert data["reststroom"]["level"] == "grid"
    assert sum(f["properties"]["count"] for f in data["features"]) == 9


@pytest.mark.parametrize("viewer", ["public", "member_b"])
def test_an_anonymous_listing_sits_at_its_municipality_without_its_firm(
    client: FlaskClient, world: MapWorld, viewer: str
) -> None:
    if viewer != "public":
        login(client, getattr(world, viewer))
    data = get(client, "listings.geojson", **STREET)
    assert data["reststroom"]["level"] == "listing"
    [wood] = [f for f in data["features"] if f["properties"]["id"] == world.wood.public_id]
    assert wood["geometry"]["coordinates"] == [round(c, 5) for c in municipality_points()["GM0150"]]
    assert wood["properties"]["organisation"] is None
    assert wood["properties"]["exact_location"] is False
    assert "Brouwerij Aaltink" not in str(wood)
    [grain] = [f for f in data["features"] if f["properties"]["id"] == world.grain.public_id]
    assert grain["properties"]["organisation"] == "Brouwerij Aaltink"


@pytest.mark.parametrize("viewer", ["member_a", "coordinator"])
def test_the_firm_itself_and_coordinators_see_the_anonymous_site(
    client: FlaskClient, world: MapWorld, viewer: str
) -> None:
    login(client, getattr(world, viewer))
    data = get(client, "listings.geojson", **STREET)
    [wood] = [f for f in data["features"] if f["properties"]["id"] == world.wood.public_id]
    assert wood["geometry"]["coordinates"] == list(DEVENTER_HIDDEN_SITE)
    assert wood["properties"]["organisation"] == "Brouwerij Aaltink"


def test_a_view_around_the_hidden_site_does_not_give_the_anonymous_listing_away(
    client: FlaskClient, world: MapWorld
) -> None:
    lon, lat = DEVENTER_HIDDEN_SITE
    tight = {"bbox": f"{lon - 0.005},{lat - 0.005},{lon + 0.005},{lat + 0.005}", "zoom": "16"}
    public = get(client, "listings.geojson", **tight)
    assert world.wood.public_id not in str(public)
    login(client, world.member_a)
    own = get(client, "listings.geojson", **tight)
    assert [f["properties"]["id"] for f in own["features"]] == [world.wood.public_id]


def test_listing_filters_by_family_category_and_municipality(
    client: FlaskClient, world: MapWorld
) -> None:
    energy = get(client, "listings.geojson", family="energy", **REGION)
    assert {f["properties"]["material"] for f in energy["features"]} == {"energy.heat"}
    assert energy["reststroom"]["level"] == "listing"  # filtered down: one by one
    wood = get(client, "listings.geojson", category="organics.wood", **REGION)
    assert {f["properties"]["id"] for f in wood["features"]} == {
        world.wood.public_id,
        *(m.need.public_id for m in [world.matches["wood"]]),
    }
    zutphen = get(client, "listings.geojson", municipality="GM0301", **REGION)
    assert {f["properties"]["municipality"] for f in zutphen["features"]} == {"Zutphen"}


def test_a_firms_own_map_shows_its_listings_and_others_supply_anonymised(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.member_b)
    data = get(client, "listings.geojson", mine="1", **REGION)
    own = [f for f in data["features"] if not f["properties"].get("cluster")]
    clusters = [f for f in data["features"] if f["properties"].get("cluster")]
    assert {f["properties"]["title"] for f in own} == {"Veevoer", "Schroot"}
    # Others' supply: A's three offers and C's heat, counted, without names or titles.
    assert sum(c["properties"]["count"] for c in clusters) == 4
    assert all(c["properties"]["need"] == 0 for c in clusters)
    assert "Aaltink" not in str(clusters) and "Restwarmte" not in str(clusters)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"family": "cheese"}, "family"),
        ({"category": "organics.nope"}, "category"),
        ({"municipality": "GM9999"}, "municipality"),
        ({"bbox": "6,52,5,53"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"zoom": "99"}, "zoom"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"status": "lost"}, "status"),
        ({"loop": "L1;x"}, "loop"),
        ({"kind": "both"}, "kind"),
    ],
)
def test_bad_filters_answer_422_naming_the_parameter(
    client: FlaskClient, world: MapWorld, params: dict[str, str], field: str
) -> None:
    login(client, world.coordinator)
    for path in ("listings.geojson", "exchanges.geojson"):
        response = client.get(f"{API}/{path}", query_string=params)
        assert response.status_code == 422
        assert field in response.get_json()["error"]["fields"]


def test_a_nul_byte_in_a_filter_is_the_request_guards_400(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.coordinator)
    for path in ("listings.geojson", "exchanges.geojson"):
        response = client.get(f"{API}/{path}", query_string={"loop": "L1\x00"})
        assert response.status_code == 400
        assert "NUL" in response.get_json()["error"]["message"]


# --- exchanges ---------------------------------------------------------------------------


def test_exchanges_need_a_login_and_organisations_a_coordinator(
    client: FlaskClient, world: MapWorld
) -> None:
    assert client.get(f"{API}/exchanges.geojson").status_code == 401
    assert client.get(f"{API}/organisations.geojson").status_code == 401
    login(client, world.member_a)
    assert client.get(f"{API}/organisations.geojson").status_code == 403
    assert client.get(f"{API}/exchanges.geojson").status_code == 200


def _totals(features: list[dict[str, Any]]) -> dict[str, tuple[int, float, float, float]]:
    out: dict[str, tuple[int, float, float, float]] = {}
    for f in features:
        p = f["properties"]
        n, t, mwh, co2 = out.get(p["status"], (0, 0.0, 0.0, 0.0))
        out[p["status"]] = (
            n + p.get("count", 1),
            t + p["mass_t"],
            mwh + p["energy_mwh"],
            co2 + p["net_co2e_kg"],
        )
    return out


@pytest.mark.parametrize("view", [REGION, NATIONAL], ids=["region", "national"])
def test_aggregated_flows_add_up_to_the_exchanges_they_stand_for(
    client: FlaskClient, world: MapWorld, view: dict[str, str]
) -> None:
    login(client, world.coordinator)
    data = get(client, "exchanges.geojson", **view)
    assert data["reststroom"]["level"] in ("municipality", "grid")
    assert all(f["properties"]["aggregate"] for f in data["features"])
    expected: dict[str, tuple[int, float, float, float]] = {}
    for m in world.matches.values():
        layer = "proposed" if m.status in ("proposed", "accepted") else m.status
        n, t, mwh, co2 = expected.get(layer, (0, 0.0, 0.0, 0.0))
        expected[layer] = (
            n + 1,
            t + (m.mass_t_per_year or 0.0),
            mwh + (m.quantity_per_year if m.unit == "MWh" else 0.0),
            co2 + m.net_co2e_kg,
        )
    totals = _totals(data["features"])
    assert set(totals) == set(expected)
    for layer, sums in expected.items():
        assert totals[layer] == pytest.approx(sums), layer
    # Grain and Bostel II (proposed + accepted) both go Deventer -> Zutphen: one flow.
    [grain] = [f["properties"] for f in data["features"] if f["properties"]["status"] == "proposed"]
    assert (grain["count"], grain["mass_t"]) == (2, 120.0)
    if view is REGION:
        assert (grain["from"], grain["to"]) == ("Deventer", "Zutphen")


def test_street_level_shows_single_exchanges_with_links(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.coordinator)
    data = get(client, "exchanges.geojson", **STREET)
    assert data["reststroom"]["level"] == "exchange"
    ids = {f["properties"]["id"] for f in data["features"]}
    assert ids == {m.public_id for m in world.matches.values()}
    wood = next(
        f for f in data["features"] if f["properties"]["id"] == world.matches["wood"].public_id
    )
    assert wood["properties"]["url"] == f"/matches/{world.matches['wood'].public_id}"
    assert wood["geometry"]["coordinates"][0] == list(DEVENTER_HIDDEN_SITE)
    assert _totals(data["features"])["proposed"][1] == pytest.approx(120.0)


def test_a_firm_sees_only_its_own_exchanges(client: FlaskClient, world: MapWorld) -> None:
    login(client, world.member_b)
    data = get(client, "exchanges.geojson", **STREET)
    assert {f["properties"]["id"] for f in data["features"]} == {
        world.matches[k].public_id for k in ("grain", "steel", "grain2")
    }


def test_before_agreement_the_counterpart_stays_anonymous(
    client: FlaskClient, world: MapWorld
) -> None:
    # C sees its agreed wood exchange with A's anonymous listing: the exact site and name,
    # since both agreed; B sees its proposals with A's *public* grain: A's name only once
    # agreed.
    login(client, world.member_c)
    data = get(client, "exchanges.geojson", **STREET)
    wood = next(
        f for f in data["features"] if f["properties"]["id"] == world.matches["wood"].public_id
    )
    assert wood["properties"]["offer_organisation"] == "Brouwerij Aaltink"
    client.post("/logout")
    login(client, world.member_b)
    data = get(client, "exchanges.geojson", **STREET)
    grain = next(
        f for f in data["features"] if f["properties"]["id"] == world.matches["grain"].public_id
    )
    assert grain["properties"]["offer_organisation"] is None
    assert grain["properties"]["need_organisation"] == "Boerderij Bessel"


def test_exchange_filters_status_category_municipality_and_dates(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.coordinator)

    def ids(**params: str) -> set[str]:
        data = get(client, "exchanges.geojson", **STREET, **params)
        return {f["properties"]["id"] for f in data["features"]}

    m = {k: v.public_id for k, v in world.matches.items()}
    assert ids(status="agreed,active") == {m["wood"], m["heat"]}
    assert ids(status="proposed") == {m["grain"], m["grain2"]}
    assert ids(category="metals.ferrous") == {m["steel"]}
    assert ids(family="energy") == {m["heat"]}
    assert ids(municipality="GM0301") == {m["grain"], m["grain2"], m["steel"]}
    assert ids(**{"from": "2025-01-01", "to": "2025-01-31"}) == {m["steel"]}


def test_a_loop_lists_its_members(client: FlaskClient, world: MapWorld) -> None:
    login(client, world.coordinator)
    loops = get(client, "exchanges.geojson", loops="1")
    [loop] = loops["features"]
    assert loop["geometry"]["type"] == "MultiLineString"
    assert loop["properties"] == {
        "loop_id": "L1",
        "count": 2,
        "mass_t": 50.0,
        "net_co2e_kg": 2500.0,
    }
    members = get(client, "exchanges.geojson", loop="L1")
    assert {f["properties"]["id"] for f in members["features"]} == {
        world.matches["wood"].public_id,
        world.matches["heat"].public_id,
    }


def test_status_layers_are_the_vocabularys() -> None:
    assert EXCHANGE_LAYERS == ("proposed", "agreed", "active", "completed")


# --- organisations -----------------------------------------------------------------------


def test_organisations_cluster_and_show_one_by_one_at_street_level(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.coordinator)
    clusters = get(client, "organisations.geojson", **REGION)
    assert sum(f["properties"]["count"] for f in clusters["features"]) == 3
    firms = get(client, "organisations.geojson", **STREET)
    assert {f["properties"]["name"] for f in firms["features"]} == {
        "Brouwerij Aaltink",
        "Boerderij Bessel",
        "Centrale Cortenoever",
    }
