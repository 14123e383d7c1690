"""Shared kernel: model base, audit, permissions, vocabulary, disclosure, reference data."""
