"""Use cases. Services flush; the caller (a view or a CLI command) commits once."""
