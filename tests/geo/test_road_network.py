"""Shortest road distances on a small literal GraphML graph with known answers.

The graph is written as OSMnx saves one: directed, every attribute stored as text.
Nodes (lon, lat): A (6.15, 52.25), B (6.16, 52.25), C (6.17, 52.25), D (6.16, 52.26) and
an isolated E (6.20, 52.30). Edges (metres): A->B 800 and a parallel A->B 700, B->A 800,
B<->C 900, A<->D 2000, D<->C 500, and a one-way C->A 300.

Shortest A -> C: A-B-C over the 700 m edge, 700 + 900 = 1600 m (A-D-C is 2500 m).
Shortest C -> A: the one-way edge, 300 m. E is unreachable from everywhere.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from geo.distance import RoadNetwork
from geo.errors import GeoError

NODES = {1: (6.15, 52.25), 2: (6.16, 52.25), 3: (6.17, 52.25), 4: (6.16, 52.26), 5: (6.20, 52.30)}
A, B, C, D, E = (NODES[i] for i in range(1, 6))
EDGES = [
    (1, 2, "800"),
    (1, 2, "700"),
    (2, 1, "800"),
    (2, 3, "900"),
    (3, 2, "900"),
    (1, 4, "2000"),
    (4, 1, "2000"),
    (4, 3, "500"),
    (3, 4, "500"),
    (3, 1, "300"),
]


def _graphml(
    nodes: dict[int, tuple[float, float]] = NODES,
    edges: list[tuple[int, int, str]] = EDGES,
    *,
    crs: str = "epsg:4326",
) -> str:
    node_xml = "\n".join(
        f'<node id="{n}"><data key="d1">{lat}</data><data key="d2">{lon}</data></node>'
        for n, (lon, lat) in nodes.items()
    )
    edge_xml = "\n".join(
        f'<edge source="{u}" target="{v}" id="{k}"><data key="d3">{length}</data></edge>'
        for k, (u, v, length) in enumerate(edges)
    )
    return f"""<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="d0" for="graph" attr.name="crs" attr.type="string" />
<key id="d1" for="node" attr.name="y" attr.type="string" />
<key id="d2" for="node" attr.name="x" attr.type="string" />
<key id="d3" for="edge" attr.name="length" attr.type="string" />
<graph edgedefault="directed">
<data key="d0">{crs}</data>
{node_xml}
{edge_xml}
</graph>
</graphml>
"""


@pytest.fixture
def network(tmp_path: Path) -> RoadNetwork:
    path = tmp_path / "roads.graphml"
    path.write_text(_graphml(), encoding="utf-8")
    return RoadNetwork.from_graphml(path)


def test_loading_converts_text_attributes_and_integer_node_ids(network: RoadNetwork) -> None:
    assert len(network) == 5
    assert network.graph.nodes[1] == {"x": 6.15, "y": 52.25}
    assert {data["length"] for _, _, data in network.graph.edges(data=True)} >= {700.0, 800.0}
    assert network.crs == "EPSG:28992"


def test_shortest_path_takes_the_shorter_parallel_edge_and_the_shorter_route(
    network: RoadNetwork,
) -> None:
    assert network.distance_km(*A, *C).item() == pytest.approx(1.6, abs=1e-12)


def test_one_way_streets_make_distances_asymmetric(network: RoadNetwork) -> None:
    assert network.distance_km(*C, *A).item() == pytest.approx(0.3, abs=1e-12)
    assert network.distance_km(*B, *A).item() == pytest.approx(0.8, abs=1e-12)


def test_an_unreachable_destination_is_infinitely_far(network: RoadNetwork) -> None:
    assert network.distance_km(*A, *E).item() == math.inf


def test_distance_to_itself_is_zero(network: RoadNetwork) -> None:
    assert network.distance_km(*D, *D).item() == 0.0


def test_pairs_are_routed_elementwise_and_broadcast(network: RoadNetwork) -> None:
    lon2 = [C[0], A[0], D[0], E[0]]
    lat2 = [C[1], A[1], D[1], E[1]]
    distance_km = network.distance_km(*A, lon2, lat2)
    assert distance_km.tolist() == pytest.approx([1.6, 0.0, 2.0, math.inf], abs=1e-12)
    mixed = network.distance_km(
        [A[0], C[0], A[0]], [A[1], C[1], A[1]], [C[0], A[0], D[0]], [C[1], A[1], D[1]]
    )
    assert mixed.tolist() == pytest.approx([1.6, 0.3, 2.0], abs=1e-12)


def test_results_stay_correct_when_the_origin_cache_evicts(tmp_path: Path) -> None:
    path = tmp_path / "roads.graphml"
    path.write_text(_graphml(), encoding="utf-8")
    network = RoadNetwork.from_graphml(path, max_cached_origins=1)
    for _ in range(2):
        assert network.distance_km(*A, *C).item() == pytest.approx(1.6, abs=1e-12)
        assert network.distance_km(*C, *A).item() == pytest.approx(0.3, abs=1e-12)


def test_points_snap_to_the_nearest_node(network: RoadNetwork) -> None:
    assert network.nearest_node(6.1585, 52.2502) == 2
    nodes, access_m = network.nearest_nodes([6.1505, np.nan], [52.2499, np.nan])
    assert nodes.tolist() == [1, None]
    assert 0 < access_m[0] < 50
    assert np.isnan(access_m[1])


def test_access_legs_add_the_straight_distance_to_the_nearest_node(network: RoadNetwork) -> None:
    to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    x_m, y_m = to_rd.transform(*A)
    # 50 m due south of node A: nearest to A, with a 50 m walk to the road.
    lon, lat = to_rd.transform(x_m, y_m - 50.0, direction="INVERSE")
    with_access = network.distance_km(lon, lat, *C).item()
    without_access = network.distance_km(lon, lat, *C, access_legs=False).item()
    assert without_access == pytest.approx(1.6, abs=1e-12)
    assert with_access == pytest.approx(1.65, abs=1e-6)


def test_a_missing_point_gives_a_missing_distance(network: RoadNetwork) -> None:
    assert np.isnan(network.distance_km(np.nan, np.nan, *C).item())


def test_edges_without_a_usable_length_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphml"
    edges = [(1, 2, "800"), (2, 3, "far"), (3, 1, "-5")]
    path.write_text(_graphml({1: A, 2: B, 3: C}, edges), encoding="utf-8")
    with pytest.raises(GeoError) as excinfo:
        RoadNetwork.from_graphml(path)
    message = str(excinfo.value)
    assert "2 problem(s)" in message
    assert "edge (2, 3): length 'far' is not a finite number >= 0 (metres)" in message
    assert "edge (3, 1): length -5.0" in message


def test_a_projected_graph_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "projected.graphml"
    path.write_text(_graphml(crs="EPSG:28992"), encoding="utf-8")
    with pytest.raises(GeoError, match="projected CRS"):
        RoadNetwork.from_graphml(path)


def test_a_file_that_is_not_graphml_is_refused_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "roads.graphml"
    path.write_text("not xml at all", encoding="utf-8")
    with pytest.raises(GeoError, match="is not a readable GraphML file"):
        RoadNetwork.from_graphml(path)


def test_a_graph_built_in_memory_needs_numeric_attributes() -> None:
    import networkx as nx

    graph = nx.Graph()
    graph.add_node("a", x=6.15, y=52.25)
    graph.add_node("b", x="6.16", y=52.25)
    graph.add_edge("a", "b", length=900.0)
    with pytest.raises(GeoError, match=r"node 'b': x '6.16' is not a finite number"):
        RoadNetwork(graph)
    with pytest.raises(GeoError, match="no nodes"):
        RoadNetwork(nx.Graph())
