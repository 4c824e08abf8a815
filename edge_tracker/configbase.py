"""Closed, typed configs: frozen dataclasses built from plain dicts (YAML).

Every section of the configuration is a frozen dataclass declared next to the
code that uses it. ``build(cls, data, path)`` turns a mapping into one:

- unknown keys are errors that suggest the closest known key;
- values are type-checked against the annotations (bool, int, float, str,
  Literal choices, Optional, tuple/list of those, nested dataclasses, dict);
- numeric bounds come from field metadata: ``field(default=..., metadata=bounds(0, 1))``;
- every error is a :class:`ConfigError` naming the key path (``teacher.budget``).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from .errors import ConfigError

T = TypeVar("T")


def bounds(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False) -> dict:
    """Field metadata: inclusive numeric bounds (``lo_open``/``hi_open`` make them strict)."""
    return {"bounds": (lo, hi, lo_open, hi_open)}


PATH_META = {"path": True}
"""Field metadata marking a file-system path: the YAML loader resolves it relative to
the config file's folder (``field(default=None, metadata=PATH_META)``)."""


def is_path_field(f: dataclasses.Field) -> bool:
    return bool(f.metadata.get("path"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def suggest(key: str, known: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known key, or an empty string."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            raise ConfigError(path, f"must be one of {list(choices)}, got {value!r}"
                              + (suggest(str(value), map(str, choices)) if isinstance(value, str) else ""))
        return value
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, path)
            except ConfigError as exc:
                errors.append(exc.problem)
        raise ConfigError(path, errors[0] if len(errors) == 1 else
                          f"expected {_type_name(tp)}, got {value!r}")
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        return build(tp, value, path)
    if origin in (tuple, list):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(path, f"expected a list, got {type(value).__name__} {value!r}")
        args = get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(path, f"expected {len(args)} items, got {len(value)}")
            items = [_convert(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value))]
        else:
            item_tp = args[0] if args else Any
            items = [_convert(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected a mapping, got {type(value).__name__}")
        args = get_args(tp)
        if args:
            return {_convert(args[0], k, f"{path}.{k}"): _convert(args[1], v, f"{path}.{k}")
                    for k, v in value.items()}
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"expected a number, got {value!r}")
        if value != value:  # NaN
            raise ConfigError(path, "expected a number, got NaN")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(path, f"expected a string, got {type(value).__name__} {value!r}")
        return value
    raise ConfigError(path, f"unsupported config type {_type_name(tp)}")


def _check_bounds(f: dataclasses.Field, value: Any, path: str) -> None:
    spec = f.metadata.get("bounds")
    if spec is None or value is None:
        return
    lo, hi, lo_open, hi_open = spec
    vals = value if isinstance(value, (tuple, list)) else (value,)
    for v in vals:
        if not isinstance(v, (int, float)):
            continue
        if lo is not None and (v < lo or (lo_open and v == lo)):
            rel = ">" if lo_open else ">="
            raise ConfigError(path, f"must be {rel} {lo}, got {v}")
        if hi is not None and (v > hi or (hi_open and v == hi)):
            rel = "<" if hi_open else "<="
            raise ConfigError(path, f"must be {rel} {hi}, got {v}")


def build(cls: type[T], data: Any, path: str = "") -> T:
    """Build the frozen dataclass ``cls`` from a mapping, strictly (see module doc)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, f"expected a mapping of keys, got {type(data).__name__} {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ConfigError(path, f"keys must be strings, got {key!r}")
        if key not in fields:
            raise ConfigError(_join(path, key), "unknown key" + suggest(key, fields))
        sub = _join(path, key)
        converted = _convert(hints[key], value, sub)
        _check_bounds(fields[key], converted, sub)
        kwargs[key] = converted
    for name, f in fields.items():
        if name not in kwargs and f.default is dataclasses.MISSING \
                and f.default_factory is dataclasses.MISSING:
            raise ConfigError(_join(path, name), "required key is missing")
    try:
        obj = cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(path, str(exc)) from exc
    validate = getattr(obj, "validate", None)
    if callable(validate):
        validate(path)
    return obj


def check_defaults(cls: type) -> None:
    """Apply the bound checks to a dataclass instance's defaults (for tests)."""
    build(cls, {}, cls.__name__)


def to_dict(obj: Any) -> Any:
    """A dataclass config back to plain data (for printing and round trips)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj
