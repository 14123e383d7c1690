"""Redirect targets: only relative paths within this site are followed."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str) -> str:
    """Only follow relative redirects within this site."""
    if not target or "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        # Browsers read "/\\evil.example" as "//evil.example": refuse backslashes outright.
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
