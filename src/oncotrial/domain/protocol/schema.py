"""Typed conversion between plain data (parsed YAML/JSON) and frozen dataclasses.

The dataclass annotations are the schema: ``tuple[X, ...]`` is a list, ``X | None`` may be null,
``Literal[...]`` lists the allowed values, nested dataclasses are mappings with exactly their fields.
Every error names the source, the field path (``arms[1].starts[0].anchor``) and what is allowed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, Union

from oncotrial.errors import InvalidInput

_SCALARS = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


@cache
def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class FrozenDict(dict):
    """A dict that refuses every change, so a shared (cached) protocol cannot be altered in place.

    It stays a real dict for ``json.dumps`` and equality; copies return the same object.
    """

    def _refuse(self, *args, **kwargs):
        raise TypeError("protocol data is read-only; build a new protocol with dataclasses.replace")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __hash__(self):
        return hash(tuple(sorted(self.items())))

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def freeze(value):
    """A read-only copy: mappings become :class:`FrozenDict` and lists tuples, all the way down."""
    if isinstance(value, Mapping):
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def from_data(cls, data, *, source: str = "<data>", path: str = ""):
    """Build an instance of dataclass ``cls`` from plain data, checking every field."""
    return _convert(cls, data, source, path)


def to_data(value):
    """The plain-data form of a dataclass instance; fields equal to their default are left out."""
    if dataclasses.is_dataclass(value):
        out = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if not _is_default(f, item):
                out[f.name] = to_data(item)
        return out
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_data(item) for key, item in value.items()}
    return value


def _is_default(f: dataclasses.Field, value) -> bool:
    if f.default is not dataclasses.MISSING:
        return value == f.default
    if f.default_factory is not dataclasses.MISSING:
        return value == f.default_factory()
    return False


def _fail(source: str, path: str, message: str):
    where = f"{source}: {path or '(top level)'}"
    raise InvalidInput(f"{where}: {message}", field=path or "(top level)")


def _convert(tp, data, source: str, path: str):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, data, source, path)
    if origin in (Union, types.UnionType):
        return _convert_union(tp, data, source, path)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if data not in allowed or isinstance(data, bool) != isinstance(allowed[0], bool):
            _fail(source, path, f"{data!r} is not allowed; allowed: {', '.join(map(str, allowed))}")
        return data
    if origin is tuple:
        return _convert_tuple(tp, data, source, path)
    if origin in (Mapping, dict, typing.get_origin(Mapping[str, Any])):
        if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
            _fail(source, path, "must be a mapping of names to values")
        return freeze(data)
    if tp is Any:
        return freeze(data)
    return _convert_scalar(tp, data, source, path)


def _convert_dataclass(cls, data, source: str, path: str):
    if not isinstance(data, Mapping):
        _fail(source, path, f"must be a mapping with fields {', '.join(_hints(cls))}")
    hints = _hints(cls)
    unknown = [key for key in data if key not in hints]
    if unknown:
        _fail(source, _join(path, str(unknown[0])), f"unknown field; allowed: {', '.join(hints)}")
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _convert(hints[f.name], data[f.name], source, _join(path, f.name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            _fail(source, _join(path, f.name), "is required")
    return cls(**values)


def _convert_union(tp, data, source: str, path: str):
    options = [arg for arg in typing.get_args(tp) if arg is not type(None)]
    if data is None:
        if len(options) < len(typing.get_args(tp)):
            return None
        _fail(source, path, "must not be empty")
    if len(options) == 1:
        return _convert(options[0], data, source, path)
    errors = []
    for option in options:
        try:
            return _convert(option, data, source, path)
        except InvalidInput as error:
            errors.append(error.message)
    _fail(source, path, " or ".join(errors))


def _convert_tuple(tp, data, source: str, path: str):
    args = typing.get_args(tp)
    if not isinstance(data, list | tuple):
        _fail(source, path, "must be a list")
    item_type = args[0]
    return tuple(_convert(item_type, item, source, f"{path}[{i}]") for i, item in enumerate(data))


def _convert_scalar(tp, data, source: str, path: str):
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in _SCALARS and (not isinstance(data, tp) or (tp is int and isinstance(data, bool))):
        _fail(source, path, f"{data!r} is not {_SCALARS[tp]}")
    return data


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
