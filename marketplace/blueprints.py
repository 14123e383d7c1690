"""The slices of the app: their blueprints, CLI commands and models, in registration order.

A new slice adds its blueprint to :func:`blueprints`, its command group to
:func:`commands` and its models module to :data:`MODEL_MODULES` (Alembic's metadata).
"""

from __future__ import annotations

import importlib

import click
from flask import Blueprint

#: Every module that declares tables; importing them registers the tables on the metadata.
MODEL_MODULES = (
    "marketplace.core.audit",
    "marketplace.core.reference",
    "marketplace.accounts.models",
    "marketplace.listings.models",
    "marketplace.exchanges.models",
    "marketplace.runs.models",
    "marketplace.runs.history",
)


def import_models() -> None:
    """Register every table on ``db.metadata`` (the app factory and Alembic call this)."""
    for module in MODEL_MODULES:
        importlib.import_module(module)


def blueprints() -> list[Blueprint]:
    from marketplace.accounts.organisation_routes import bp as organisations_bp
    from marketplace.accounts.routes import bp as auth_bp
    from marketplace.api.routes import bp as api_bp
    from marketplace.api.v1 import bp as api_v1_bp
    from marketplace.exchanges.routes import bp as matches_bp
    from marketplace.health import bp as health_bp
    from marketplace.i18n import bp as i18n_bp
    from marketplace.listings.routes import bp as listings_bp
    from marketplace.region.figures_routes import bp as figures_bp
    from marketplace.region.map_routes import bp as region_map_bp
    from marketplace.region.routes import bp as region_bp
    from marketplace.runs.review_routes import bp as review_bp
    from marketplace.runs.routes import bp as runs_bp

    return [
        region_bp,
        region_map_bp,
        i18n_bp,
        auth_bp,
        listings_bp,
        api_bp,
        api_v1_bp,
        matches_bp,
        runs_bp,
        review_bp,
        figures_bp,
        organisations_bp,
        health_bp,
    ]


def commands() -> list[click.Command]:
    from marketplace.accounts.commands import tokens_cli, users_cli
    from marketplace.backup import backup_command, restore_command
    from marketplace.core.commands import reference_cli
    from marketplace.core.jobs import worker_command
    from marketplace.demo.commands import demo_cli
    from marketplace.exchanges.commands import matches_cli, notifications_cli
    from marketplace.i18n_commands import i18n_cli
    from marketplace.listings.commands import listings_cli
    from marketplace.region.commands import region_cli
    from marketplace.runs.commands import flows_cli

    return [
        reference_cli,
        users_cli,
        tokens_cli,
        demo_cli,
        listings_cli,
        flows_cli,
        matches_cli,
        notifications_cli,
        i18n_cli,
        worker_command,
        backup_command,
        restore_command,
        region_cli,
    ]
