import os
from pathlib import Path

import pytest
import yaml

from edge_tracker.config import AppConfig, load_config, parse_override
from edge_tracker.configbase import to_dict
from edge_tracker.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "config.example.yaml"


def write(tmp_path, text: str, name: str = "c.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_defaults_without_file():
    cfg = load_config(None)
    assert cfg == AppConfig()
    assert cfg.http.bind == "127.0.0.1"


def test_example_config_loads_and_sets_every_key():
    cfg = load_config(EXAMPLE)
    assert cfg.sinks.jsonl.path == "/var/lib/edge-tracker/cam0/tracks.jsonl"
    raw = yaml.safe_load(EXAMPLE.read_text())

    def leaves(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict) and v:
                yield from leaves(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}"

    expected = set(leaves(to_dict(AppConfig())))
    assert expected - set(leaves(raw)) == set(), \
        "keys missing from config.example.yaml: run deploy/sync_config_example.py"


def test_example_config_comments_every_key():
    for n, line in enumerate(EXAMPLE.read_text().splitlines(), 1):
        s = line.strip()
        if s and not s.startswith("#"):
            assert "#" in line or line.rstrip().endswith(":"), f"line {n} has no comment: {line}"


def test_paths_resolve_relative_to_the_config_file(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"")
    path = write(tmp_path, "student: {model: models/s.tflite}\nsinks: {jsonl: {path: out/t.jsonl},"
                           " mot: {path: '-'}}\nsource: {uri: clip.mp4}\n")
    cfg = load_config(path)
    assert cfg.student.model == str(tmp_path / "models" / "s.tflite")
    assert cfg.sinks.jsonl.path == str(tmp_path / "out" / "t.jsonl")
    assert cfg.sinks.mot.path == "-"
    assert cfg.source.uri == str(tmp_path / "clip.mp4")


@pytest.mark.parametrize("uri", ["0", "/dev/video0", "rtsp://u:p@h/s", "does-not-exist.mp4"])
def test_source_uri_left_alone_unless_a_relative_existing_file(tmp_path, uri):
    cfg = load_config(write(tmp_path, f"source: {{uri: '{uri}'}}\n"))
    assert cfg.source.uri == uri


def test_overrides_are_typed_by_target_field(tmp_path):
    cfg = load_config(write(tmp_path, "teacher: {policy: fixed}\n"),
                      {"teacher.policy": "budget", "teacher.budget": "0.1",
                       "teacher.enabled": "false", "camera_id": "007",
                       "student.classes": "[person, car]", "sinks.mot.path": "rel/m.txt"})
    assert cfg.teacher.policy == "budget"
    assert cfg.teacher.budget == 0.1
    assert cfg.teacher.enabled is False
    assert cfg.camera_id == "007"
    assert cfg.student.classes == ("person", "car")
    assert cfg.sinks.mot.path == os.path.join(os.getcwd(), "rel", "m.txt")


def test_null_override_clears_an_optional_path(tmp_path):
    cfg = load_config(write(tmp_path, "sinks: {jsonl: {path: t.jsonl}}\n"),
                      {"sinks.jsonl.path": "null", "student.model": "~"})
    assert cfg.sinks.jsonl.path is None and cfg.student.model is None


@pytest.mark.parametrize("text,overrides,key,problem", [
    ("studnet: {}\n", None, "studnet", "did you mean 'student'"),
    ("teacher: {polcy: budget}\n", None, "teacher.polcy", "did you mean 'policy'"),
    ("teacher: {policy: sometimes}\n", None, "teacher.policy", "must be one of"),
    ("student: {score_threshold: high}\n", None, "student.score_threshold", "expected a number"),
    ("student: {score_threshold: 1.5}\n", None, "student.score_threshold", "must be <= 1"),
    ("http: {port: 70000}\n", None, "http.port", "must be <= 65535"),
    ("sinks: {mqtt: {qos: 3}}\n", None, "sinks.mqtt.qos", "must be <= 2"),
    ("sinks: {mqtt: {topic: 'a/{cam}'}}\n", None, "sinks.mqtt.topic", "bad template"),
    ("camera_id: 'a/b'\n", None, "camera_id", "must be non-empty"),
    ("", {"tracker.nope": "1"}, "tracker.nope", "unknown key"),
    ("camera_id: x\n", {"camera_id.sub": "1"}, "camera_id", "is not a section"),
    ("- a\n- b\n", None, "c.yaml", "top level must be a mapping"),
])
def test_invalid_configs_name_key_and_problem(tmp_path, text, overrides, key, problem):
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text), overrides)
    assert exc.value.key_path.endswith(key)
    assert problem in exc.value.problem
    assert exc.value.exit_code == 2


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "camera_id: a\nsource:\n  uri: [unclosed\nstudent: {}\n")
    with pytest.raises(ConfigError, match=r"YAML syntax error at line \d+ column \d+"):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text,ok", [("a.b=1", ("a.b", "1")), ("k=x=y", ("k", "x=y")),
                                     ("k=", ("k", ""))])
def test_parse_override(text, ok):
    assert parse_override(text) == ok


@pytest.mark.parametrize("text", ["noequals", "=1"])
def test_parse_override_errors(text):
    with pytest.raises(ConfigError, match="key.path=value"):
        parse_override(text)


def test_example_values_are_the_defaults_unless_marked_example():
    """The example must not pin stale tuning: lines not marked '# example' hold defaults."""
    raw = yaml.safe_load(EXAMPLE.read_text())
    marked = {line.split(":")[0].strip() for line in EXAMPLE.read_text().splitlines()
              if "# example" in line}
    defaults = to_dict(AppConfig())

    def walk(ex, de, prefix=""):
        for k, v in ex.items():
            if isinstance(v, dict) and v and isinstance(de.get(k), dict):
                yield from walk(v, de[k], f"{prefix}{k}.")
            elif k not in marked:
                d = de.get(k)
                if isinstance(d, float) and isinstance(v, (int, float)):
                    ok = abs(v - d) <= 1e-6 * max(1.0, abs(d))
                else:
                    ok = (list(d) if isinstance(d, tuple) else d) == v
                if not ok:
                    yield f"{prefix}{k}: example {v!r} != default {d!r}"

    diffs = list(walk(raw, defaults))
    assert diffs == [], "stale example values: run deploy/sync_config_example.py"
