"""Demo data: a synthetic region loaded next to real data and removed again."""
