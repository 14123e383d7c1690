"""Listings: model, rules, search, import/export, pages, CLI."""
