"""The base of every API request body: unknown fields are refused by name, and no string anywhere in
the body (nested answers included) may hold a lone UTF-16 surrogate or a NUL character, which no
database can store (PostgreSQL text refuses NUL outright)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, field_validator

MAX_TEXT = 2000  # the longest free text of any form (a tumour assessment's comment)


def find_lone_surrogate(value: Any, depth: int = 0) -> bool:
    """Whether `value` (a string, or a list / dict of them, keys included) holds a lone surrogate."""
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    return _walk(find_lone_surrogate, value, depth)


def find_nul(value: Any, depth: int = 0) -> bool:
    """Whether `value` (a string, or a list / dict of them, keys included) holds a NUL (0x00)."""
    if isinstance(value, str):
        return "\x00" in value
    return _walk(find_nul, value, depth)


def _walk(find, value: Any, depth: int) -> bool:
    if depth > 8:
        return False
    if isinstance(value, dict):
        return any(find(k, depth + 1) or find(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(find(item, depth + 1) for item in value)
    return False


class StrictSchema(Schema):
    """A request body that names what it does not know ("Extra inputs are not permitted")."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_lone_surrogates(cls, value):
        if find_lone_surrogate(value):
            raise ValueError("holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff), which is not a "
                             "character; retype the text")
        if find_nul(value):
            raise ValueError("holds a NUL character (0x00), which no field may hold; remove it")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ValueError(f"is {len(value)} characters long; at most {MAX_TEXT} allowed")
        return value
