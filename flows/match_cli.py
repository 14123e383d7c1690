"""``python -m flows match``: optimal proposals for a listing file, without the web app.

Reads the listing import format (CSV or Excel, see :mod:`flows.listing_file`; ``ref``
and ``organisation`` identify a listing), runs :func:`flows.propose.propose` and writes
the proposals as CSV. The summary goes to stderr, so stdout stays clean for pipes.
Exit codes: 0 done, 2 the file has problems (every one is listed), 1 the solver failed.

Examples
--------
.. code-block:: console

    $ python -m flows match listings.csv --out proposals.csv --objective co2 --top-k 20
    $ python -m flows match listings.csv --explain F0001-01:F0002-03

``--explain OFFER_REF:NEED_REF`` (repeatable) prints, instead of solving, why that pair
is or is not a candidate (see :mod:`flows.explain`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Final

import click

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FILE_ROWS",
    "PROGRESS_MIN_LISTINGS",
    "format_summary",
    "match_command",
]

#: Show a progress bar from this many listings on (unless ``--no-progress``).
PROGRESS_MIN_LISTINGS: Final = 10_000
#: Limits of the files the command reads (the web upload has stricter ones).
MAX_FILE_BYTES: Final = 1_000_000_000
MAX_FILE_ROWS: Final = 2_000_000


@click.command("match")
@click.argument(
    "listings",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option(
    "--out",
    "out_path",
    default=None,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the proposals CSV (required unless --explain is given).",
)
@click.option(
    "--explain",
    "explain",
    multiple=True,
    metavar="OFFER_REF:NEED_REF",
    help="Print why this offer/need pair is or is not a candidate, and do not solve "
    "(repeatable; a ref may be ORGANISATION/REF).",
)
@click.option(
    "--objective",
    type=click.Choice(["co2", "tonnes"]),
    default="co2",
    show_default=True,
    help="co2: maximise net CO2e avoided; tonnes: maximise quantity, then minimise tonne-km.",
)
@click.option(
    "--solver",
    type=click.Choice(["ortools", "networkx"]),
    default="ortools",
    show_default=True,
    help="Min-cost-flow solver; networkx is a slow cross-check.",
)
@click.option(
    "--max-distance-km",
    type=click.FloatRange(min=0.0, min_open=True),
    default=50.0,
    show_default=True,
    help="Distance limit of needs that give none.",
)
@click.option(
    "--top-k",
    type=click.IntRange(min=1),
    default=None,
    help="Keep only each listing's k best candidates (faster; may lose optimality).",
)
@click.option(
    "--circuity",
    type=click.FloatRange(min=1.0),
    default=1.3,
    show_default=True,
    help="Road km per straight km.",
)
@click.option(
    "--road-graphml",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    default=None,
    help="Road network (GraphML as OSMnx writes it) for true road distances.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help=f"Progress bar on stderr (default: on from {PROGRESS_MIN_LISTINGS:,} listings).",
)
def match_command(
    listings: Path,
    out_path: Path | None,
    explain: tuple[str, ...],
    objective: str,
    solver: str,
    max_distance_km: float,
    top_k: int | None,
    circuity: float,
    road_graphml: Path | None,
    progress: bool | None,
) -> None:
    """Propose the optimal exchanges between the offers and needs in LISTINGS."""
    from flows.errors import FlowsError, SolverError, ValidationError
    from flows.listing_file import parse_listings, read_listing_file, split_offers_needs
    from flows.propose import Params, propose
    from geo.errors import GeoError

    if out_path is None and not explain:
        raise click.UsageError("give --out PATH for the proposals, or --explain PAIR")
    started = time.perf_counter()
    try:
        # A local command line may read national files; the web upload keeps its limits.
        raw = read_listing_file(listings, max_bytes=MAX_FILE_BYTES, max_rows=MAX_FILE_ROWS)
        frame = parse_listings(raw, require_organisation=True)
        for warning in frame.attrs.get("warnings", []):
            click.echo(f"{listings}: warning: {warning}", err=True)
        offers, needs = split_offers_needs(frame)
        read_s = time.perf_counter() - started
        road_network = None
        if road_graphml is not None:
            from geo.distance import RoadNetwork

            road_network = RoadNetwork.from_graphml(road_graphml)
        if explain:
            from flows.explain import explain_pair, parse_pair
            from flows.validate import validate_listings

            validate_listings(offers, needs)
            for pair in explain:
                offer_ref, need_ref = parse_pair(pair)
                found = explain_pair(
                    offers,
                    needs,
                    offer_ref=offer_ref,
                    need_ref=need_ref,
                    circuity=circuity,
                    default_max_distance_km=max_distance_km,
                    road_network=road_network,
                )
                click.echo(found.format())
            return
        params = Params(
            objective=objective,  # type: ignore[arg-type]
            solver=solver,  # type: ignore[arg-type]
            default_max_distance_km=max_distance_km,
            circuity=circuity,
            top_k=top_k,
            road_network=road_network,
            progress=progress if progress is not None else len(frame) >= PROGRESS_MIN_LISTINGS,
        )
        result = propose(offers, needs, params)
    except ValidationError as error:
        click.echo(f"{listings}: {len(error.problems)} problem(s) found:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(2) from None
    except SolverError as error:
        click.echo(f"{listings}: the solver failed: {error}", err=True)
        raise SystemExit(1) from None
    except (FlowsError, GeoError) as error:
        click.echo(f"{listings}: {error}", err=True)
        raise SystemExit(2) from None

    assert out_path is not None
    result.frame.to_csv(out_path, index=False)
    timings = {"read": read_s, **result.timings_s}
    click.echo(format_summary(result.summary, timings), err=True)
    click.echo(f"wrote {len(result.frame)} proposal(s) to {out_path}", err=True)


def format_summary(summary: dict[str, Any], timings_s: dict[str, float]) -> str:
    """Render the summary of :func:`flows.propose.propose` as a few lines of text.

    Examples
    --------
    >>> print(format_summary({"offers": 2, "needs": 1, "candidates": 2, "proposals": 1,
    ...     "objective": "co2", "solver": "ortools", "exchanged_per_unit": {"t": 4.0},
    ...     "net_co2e_kg": 1234.5, "loops": 0, "proposals_closing_loops": 0,
    ...     "tonne_km_saved": 10.0}, {"solve": 0.25}))
    2 offers, 1 needs -> 2 candidate edges -> 1 proposals (objective co2, solver ortools)
    exchanged per year: 4 t
    net CO2e avoided: 1,234 kg a year
    loops: 0 (0 proposals close a loop)
    tonne-km saved: 10 a year
    time per phase (s): solve 0.250; total 0.250
    """
    exchanged = ", ".join(
        f"{quantity:,.3f}".rstrip("0").rstrip(".") + f" {unit}"
        for unit, quantity in summary.get("exchanged_per_unit", {}).items()
    )
    phases = ", ".join(f"{phase} {seconds:.3f}" for phase, seconds in timings_s.items())
    total = sum(timings_s.values())
    return "\n".join(
        [
            f"{summary['offers']} offers, {summary['needs']} needs -> "
            f"{summary['candidates']} candidate edges -> {summary['proposals']} proposals "
            f"(objective {summary['objective']}, solver {summary['solver']})",
            f"exchanged per year: {exchanged or 'nothing'}",
            f"net CO2e avoided: {summary['net_co2e_kg']:,.0f} kg a year",
            f"loops: {summary['loops']} ({summary['proposals_closing_loops']} proposals "
            "close a loop)",
            f"tonne-km saved: {summary['tonne_km_saved']:,.0f} a year",
            f"time per phase (s): {phases}; total {total:.3f}",
        ]
    )
