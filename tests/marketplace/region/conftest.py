"""Fixtures of the region tests: the circularity map's hand-made world."""

from tests.marketplace.region.map_world import world  # noqa: F401
