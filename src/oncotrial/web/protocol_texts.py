"""Stored protocol texts parsed into domain protocols, once per process and text.

A protocol version's YAML never changes once stored (its SHA-256 is kept beside it), so the parsed
value is safe to reuse; the cache holds immutable domain values only, never rows or user data.
Models and services both read through here, so a model never has to import a service.
"""

from __future__ import annotations

from functools import lru_cache

from oncotrial.domain.protocol.model import Protocol, load_protocol


@lru_cache(maxsize=64)
def parse_stored_protocol(sha256: str, text: str, source: str) -> Protocol:
    """The domain protocol of one stored YAML text (``sha256`` keys the cache with the text)."""
    return load_protocol(text, source=source)
