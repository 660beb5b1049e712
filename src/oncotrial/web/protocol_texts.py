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


def localized(item, attr: str) -> str:
    """A protocol text in the user's language: ``<attr>_zh`` (zh-Hans, written beside the English in
    the protocol) when the active language is Chinese and the protocol has it, else the English."""
    from django.utils.translation import get_language

    text = getattr(item, attr, "") or ""
    if (get_language() or "").lower().startswith("zh"):
        return getattr(item, f"{attr}_zh", "") or text
    return text
