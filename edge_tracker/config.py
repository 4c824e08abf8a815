"""The daemon's configuration: one YAML file composed of the components' own configs.

:class:`AppConfig` is closed and typed (see :mod:`edge_tracker.configbase`): unknown
keys fail with a "did you mean", values are type- and bound-checked, and every error is
a :class:`ConfigError` (exit code 2) naming the key path.

:func:`load_config` reads the YAML (``yaml.safe_load``; syntax errors name the line),
resolves file paths (fields with ``PATH_META``) relative to the config file's folder,
applies dotted overrides (``teacher.policy=budget``; relative paths in overrides are
relative to the current directory) and builds the :class:`AppConfig`.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .configbase import PATH_META, bounds, build, is_path_field
from .errors import ConfigError
from .service.http import HttpConfig
from .sinks import SinksConfig

log = logging.getLogger(__name__)


def _component(candidates: tuple[str, ...], name: str) -> Any:
    """The config class ``name`` from the first module of ``candidates`` that has it."""
    for mod in candidates:
        try:
            cls = getattr(importlib.import_module(mod, __package__), name, None)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("edge_tracker"):
                continue
            raise
        if cls is not None:
            return cls
    raise ImportError(f"edge_tracker: config class {name} not found in {candidates}")


DetectorConfig = _component((".detect.detector",), "DetectorConfig")
TrackerConfig = _component((".track.tracker", ".track"), "TrackerConfig")
SourceConfig = _component((".sources", ".sources.config", ".sources.base"), "SourceConfig")
TeacherConfig = _component((".schedule.policies", ".schedule", ".schedule.teacher",
                            ".service.pipeline"), "TeacherConfig")
SotConfig = _component((".sot.tracker", ".sot"), "SotConfig")
FusionConfig = _component((".fuse.fusion", ".fuse", ".fuse.config", ".service.pipeline"),
                          "FusionConfig")


@dataclass(frozen=True)
class LoggingConfig:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"
    status_interval_s: float = field(default=30.0, metadata=bounds(0.0, 86400.0))  # 0 = off


@dataclass(frozen=True)
class ServiceConfig:
    max_frames: int = field(default=0, metadata=bounds(0))  # 0 = until the source ends / stop
    drain_timeout_s: float = field(default=3.0, metadata=bounds(0.1, 30.0))  # stop budget
    read_timeout_s: float = field(default=0.2, metadata=bounds(0.01, 5.0))  # loop tick period
    first_frame_timeout_s: float = field(default=0.0, metadata=bounds(0.0, 3600.0))
    # 0 = wait forever for the first frame; else fail (exit 3) if none came by then


@dataclass(frozen=True)
class AppConfig:
    camera_id: str = "cam0"   # label of metrics, JSONL "camera", MQTT topic
    mode: Literal["multi", "single"] = "multi"
    source: SourceConfig = field(default_factory=SourceConfig)
    student: DetectorConfig = field(default_factory=DetectorConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    sinks: SinksConfig = field(default_factory=SinksConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    sot: SotConfig = field(default_factory=SotConfig)   # mode: single

    def validate(self, path: str) -> None:
        if not self.camera_id or any(c in self.camera_id for c in "/+#{} \t\n"):
            raise ConfigError(f"{path}.camera_id" if path else "camera_id",
                              f"must be non-empty without '/', '+', '#', braces or spaces "
                              f"(it is used in MQTT topics and metric labels), "
                              f"got {self.camera_id!r}")
        # Outputs may not point into /proc, /sys or /dev (issue 8 security review).
        from .service.paths import check_config_paths
        check_config_paths(self)


# ---------------------------------------------------------------- loading

def _dataclass_of(tp: Any) -> type | None:
    """The dataclass inside ``tp`` (``X``, ``X | None``), else None."""
    if dataclasses.is_dataclass(tp):
        return tp
    if get_origin(tp) in (typing.Union, types.UnionType):
        for arg in get_args(tp):
            if dataclasses.is_dataclass(arg):
                return arg
    return None


def _is_str_type(tp: Any) -> bool:
    if tp is str:
        return True
    if get_origin(tp) in (typing.Union, types.UnionType):
        return any(a is str for a in get_args(tp))
    return False


def _allows_none(tp: Any) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType) and type(None) in get_args(tp)


def resolve_path(value: Any, base: str) -> Any:
    """``value`` made absolute against folder ``base``; ``-``, URLs, digits and
    absolute paths unchanged; ``~`` expanded."""
    if not isinstance(value, str) or not value or value == "-" or "://" in value \
            or value.isdigit():
        return value
    value = os.path.expanduser(value)
    return value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))


def _looks_like_relative_file(value: Any, base: str) -> bool:
    return isinstance(value, str) and value and "://" not in value and not value.isdigit() \
        and not os.path.isabs(value) and os.path.exists(os.path.join(base, value))


def resolve_paths(cls: type, data: Any, base: str) -> Any:
    """Copy of the raw mapping ``data`` for dataclass ``cls`` with path fields resolved."""
    if not isinstance(data, dict):
        return data
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = get_type_hints(cls)
    out = dict(data)
    for key, value in data.items():
        f = fields.get(key)
        if f is None:
            continue
        sub = _dataclass_of(hints[key])
        if sub is not None and isinstance(value, dict):
            out[key] = resolve_paths(sub, value, base)
        elif is_path_field(f):
            out[key] = resolve_path(value, base)
        elif key == "uri" and _looks_like_relative_file(value, base):
            # source URIs may be files: relative ones are relative to the config file too
            out[key] = os.path.normpath(os.path.join(base, value))
    return out


def _field_at(cls: type, keys: list[str]) -> tuple[dataclasses.Field | None, Any]:
    """(field, type) at a dotted key path, or (None, None) when it does not resolve."""
    f, tp = None, cls
    for key in keys:
        dc = _dataclass_of(tp)
        if dc is None:
            return None, None
        fields = {x.name: x for x in dataclasses.fields(dc)}
        if key not in fields:
            return None, None
        f, tp = fields[key], get_type_hints(dc)[key]
    return f, tp


def parse_override(text: str) -> tuple[str, str]:
    """``key.path=value`` -> (key path, raw value text)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(text, "override must look like key.path=value")
    return key, value


def apply_overrides(cls: type, data: dict, overrides: dict[str, Any] | None) -> dict:
    """Set each dotted key of ``overrides`` in the raw mapping ``data`` (a copy).

    String values are parsed as YAML scalars unless the target field is a string
    (so ``0.5`` is a number, ``true`` a bool, ``[1, 2]`` a list, ``"007"`` stays text
    for a string field); ``null`` is None wherever None is allowed. Path fields are
    resolved against the current directory.
    """
    import yaml
    data = _deep_copy(data)
    for dotted, value in (overrides or {}).items():
        keys = dotted.split(".")
        f, tp = _field_at(cls, keys)
        if isinstance(value, str) and value.strip() in ("null", "~") and tp is not None \
                and _allows_none(tp):
            value = None
        elif isinstance(value, str) and not (tp is not None and _is_str_type(tp)):
            try:
                value = yaml.safe_load(value) if value.strip() else None
            except yaml.YAMLError as exc:
                raise ConfigError(dotted, f"override value {value!r} is not valid YAML: "
                                          f"{exc}") from exc
        if f is not None and is_path_field(f):
            value = resolve_path(value, os.getcwd())
        node = data
        for i, key in enumerate(keys[:-1]):
            nxt = node.get(key)
            if nxt is None:
                nxt = node[key] = {}
            elif not isinstance(nxt, dict):
                raise ConfigError(".".join(keys[:i + 1]),
                                  f"is not a section (value {nxt!r}); cannot set {dotted}")
            node = nxt
        node[keys[-1]] = value
    return data


def _deep_copy(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _deep_copy(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_deep_copy(v) for v in d]
    return d


MAX_CONFIG_BYTES = 1 << 20  # a camera config is a few kB; anything near 1 MiB is not one
MAX_CONFIG_NODES = 100_000  # values after YAML aliases are expanded (billion-laughs guard)


def _check_expanded_size(data: Any, path: str) -> None:
    """ConfigError when the document expands (through aliases) past MAX_CONFIG_NODES values.

    PyYAML shares aliased objects, so loading is cheap, but every later walk of the
    config (validation, suggestions) would visit each alias again: count as they would.
    """
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_CONFIG_NODES:
            raise ConfigError(path, f"the document expands to more than {MAX_CONFIG_NODES} "
                                    f"values (YAML aliases nested too deep?)")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def read_yaml(path: str) -> dict:
    """The YAML mapping in ``path`` ({} for an empty file); ConfigError for I/O and syntax."""
    import yaml
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(path, f"cannot read config file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not UTF-8 text: {exc}") from exc
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(path, f"config file is {len(text)} characters; at most "
                                f"{MAX_CONFIG_BYTES} are accepted")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, f"YAML syntax error at {where}{problem}") from exc
    except RecursionError as exc:
        raise ConfigError(path, "YAML nested too deeply") from exc
    _check_expanded_size(data, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, f"the top level must be a mapping of sections, got "
                                f"{type(data).__name__}")
    return data


def load_config(path: str | os.PathLike | None = None,
                overrides: dict[str, Any] | None = None, cls: type = AppConfig) -> Any:
    """Build ``cls`` (default :class:`AppConfig`) from a YAML file and dotted overrides.

    path None: defaults plus overrides only. Raises :class:`ConfigError`.
    """
    data: dict = {}
    if path is not None:
        path = os.fspath(path)
        data = resolve_paths(cls, read_yaml(path), os.path.dirname(os.path.abspath(path)))
    data = apply_overrides(cls, data, overrides)
    try:
        return build(cls, data)
    except RecursionError as exc:
        raise ConfigError("", "config nested too deeply") from exc


__all__ = [
    "PATH_META",
    "AppConfig",
    "ConfigError",
    "DetectorConfig",
    "FusionConfig",
    "HttpConfig",
    "LoggingConfig",
    "ServiceConfig",
    "SinksConfig",
    "SourceConfig",
    "TeacherConfig",
    "TrackerConfig",
    "load_config",
    "parse_override",
]
