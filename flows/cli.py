"""Command line of the engine: ``python -m flows taxonomy`` and ``python -m flows match``.

Each sub-command lives next to the code it drives; this module only groups them.
"""

from __future__ import annotations

import click

from flows.match_cli import match_command
from flows.taxonomy_cli import taxonomy_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Reststroom engine: material taxonomy and optimal regional exchanges."""


main.add_command(taxonomy_command)
main.add_command(match_command)
