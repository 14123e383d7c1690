"""Exchanges: matches and deliveries, the lifecycle from proposal to completion, match pages."""
