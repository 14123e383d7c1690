"""``flask flows run``: the engine over the database's active listings."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.runs import services as runs

flows_cli = AppGroup("flows", help="The matching engine over the database.")


@flows_cli.command("run")
@click.option("--objective", type=click.Choice(["co2", "tonnes"]), default="co2", show_default=True)
@click.option("--solver", type=click.Choice(["ortools", "networkx"]), default="ortools")
@click.option("--max-distance-km", type=float, help="Default maximum distance of needs.")
@click.option("--top-k", type=int, help="Keep only the k best candidates per listing.")
def run_command(
    objective: str, solver: str, max_distance_km: float | None, top_k: int | None
) -> None:
    """Propose the optimal exchanges and replace the open proposals that dropped out."""
    try:
        params = runs.engine_params(
            objective=objective,
            solver=solver,
            default_max_distance_km=max_distance_km,
            top_k=top_k,
        )
    except InvalidInput as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        run = runs.start_run(params)  # commits: the run is visible while it works
    except runs.RunInProgress as exc:
        click.echo(f"engine run {exc.run.id} is still running; try again when it ends", err=True)
        sys.exit(1)
    with click.progressbar(length=100, label="engine", file=sys.stderr) as bar:
        done = [0]

        def progress(phase: str, share: float) -> None:
            step = int(share * 100) - done[0]
            if step > 0:
                bar.label = f"engine: {phase}"
                bar.update(step)
                done[0] += step

        runs.execute_run(run, params, progress=progress)
    db.session.commit()
    if run.status != "succeeded":
        click.echo(f"engine run {run.id} failed: {run.error}", err=True)
        sys.exit(1)
    counts, totals = run.counts, run.totals
    click.echo(
        f"engine run {run.id}: {counts.get('offers', 0)} offers, {counts.get('needs', 0)} needs, "
        f"{counts.get('candidates', 0)} candidate pairs, {counts.get('proposals', 0)} proposals "
        f"({counts.get('created', 0)} new, {counts.get('updated', 0)} kept, "
        f"{counts.get('superseded', 0)} superseded)"
    )
    exchanged = ", ".join(
        f"{q:,.1f} {u}/year" for u, q in (totals.get("exchanged_per_unit") or {}).items()
    )
    click.echo(
        f"exchanged {exchanged or 'nothing'}; net avoided "
        f"{(totals.get('net_co2e_kg') or 0) / 1000:,.1f} t CO2e/year; "
        f"{totals.get('loops', 0)} loops; {(totals.get('tonne_km_saved') or 0):,.0f} tonne-km saved"
    )
    click.echo(
        "time per phase: " + ", ".join(f"{k} {v:.2f}s" for k, v in (run.timings_s or {}).items())
    )
