"""The JSON API: thin views over the slices' services. Nothing imports this package."""
