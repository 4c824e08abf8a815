"""Fuzz the config loader: random and mutated YAML into ``load_config``.

Every case must end in a clean AppConfig or a ConfigError/EdgeTrackerError with a message
-- never another exception, never a hang (10 s limit per case). Counted in the report as
bad inputs (a valid config that loads cleanly counts as a clear outcome).
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_tracker.config import AppConfig, load_config

from .conftest import ROOT, fuzz_examples
from .fuzzing import classify

EXAMPLE = ROOT / "deploy" / "config.example.yaml"
FALLBACK = textwrap.dedent("""\
    camera_id: cam0
    source: {uri: video.mp4, realtime: true}
    student: {score_threshold: 0.3, classes: [person]}
    teacher: {enabled: true, policy: budget, budget: 0.25}
    sinks: {jsonl: {path: out.jsonl}}
    """)
SETTINGS = {"deadline": None, "derandomize": True, "database": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture]}


def _key_paths(cls: type, prefix: str = "") -> list[str]:
    """Every dotted key of the config schema (sections and leaves)."""
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        out.append(path)
        tp = hints[f.name]
        for arg in (tp, *typing.get_args(tp)):
            if dataclasses.is_dataclass(arg):
                out += _key_paths(arg, path + ".")
    return out


KEYS = _key_paths(AppConfig)
LEAF_NAMES = sorted({k.rsplit(".", 1)[-1] for k in KEYS})
TEXT = EXAMPLE.read_text() if EXAMPLE.exists() else FALLBACK
VALID = yaml.safe_load(TEXT)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["0", "", "auto", "rtsp://u:p@h/s", "/dev/null", "../../etc/passwd",
                     "~", "null", "1e309", "-1", "0x10", "yes", "on", "🙂", "a" * 5000]),
)
values = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(LEAF_NAMES), st.text(max_size=10)), kids,
                    max_size=4)), max_leaves=12)


def _set(d: dict, dotted: str, value: object) -> dict:
    node = d
    keys = dotted.split(".")
    for k in keys[:-1]:
        nxt = node.get(k) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            nxt = node[k] = {}
        node = nxt
    node[keys[-1]] = value
    return d


def _check(faults_report, kind: str, tmp_path: Path, text: str | bytes,
           overrides: dict | None = None) -> None:
    p = tmp_path / "fuzz.yaml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    outcome, msg = classify(lambda: load_config(str(p), overrides or {}))
    faults_report.count(f"config_fuzz:{kind}", outcome)
    faults_report.bad_input(f"config:{kind}", outcome in ("ok", "clear"), msg)
    assert outcome in ("ok", "clear"), f"{kind}: {outcome}: {msg}\n--- input ---\n{text!r:.2000}"


@settings(max_examples=fuzz_examples(250), **SETTINGS)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_random_text(faults_report, tmp_path, text):
    _check(faults_report, "random_text", tmp_path, text)


@settings(max_examples=fuzz_examples(300), **SETTINGS)
@given(st.lists(st.tuples(st.sampled_from(KEYS), values), min_size=1, max_size=4),
       st.booleans())
def test_schema_keys_with_random_values(faults_report, tmp_path, edits, from_valid):
    data = yaml.safe_load(TEXT) if from_valid else {}
    for dotted, value in edits:
        _set(data, dotted, value)
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, OverflowError, ValueError):
        return  # not representable as YAML: nothing to feed the loader
    _check(faults_report, "schema_values", tmp_path, text)


MUTATIONS = ("delete_line", "duplicate_line", "insert", "replace_char", "indent", "truncate",
             "swap_lines")


@st.composite
def mutated_text(draw) -> str:
    lines = TEXT.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(MUTATIONS))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete_line":
            del lines[i]
        elif op == "duplicate_line":
            lines.insert(i, lines[i])
        elif op == "swap_lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
        elif op == "truncate":
            lines = lines[:i] + [lines[i][:draw(st.integers(0, len(lines[i])))]]
        else:
            line = lines[i]
            k = draw(st.integers(0, len(line)))
            ins = draw(st.sampled_from([":", "- ", "[", "{", "&a", "*a", "!!python/object:os.system",
                                        "\t", "'", '"', "#", "\x00", "1e999", "-", "|", ">"])
                       | st.text(min_size=1, max_size=5))
            lines[i] = line[:k] + ins + line[k + (1 if op == "replace_char" else 0):]
    return "".join(lines)


@settings(max_examples=fuzz_examples(300), **SETTINGS)
@given(mutated_text())
def test_mutated_valid_config(faults_report, tmp_path, text):
    _check(faults_report, "mutated_yaml", tmp_path, text)


@settings(max_examples=fuzz_examples(100), **SETTINGS)
@given(st.dictionaries(st.sampled_from(KEYS), st.text(max_size=20), min_size=1, max_size=3))
def test_random_overrides(faults_report, tmp_path, overrides):
    """`run --set key=value` strings go through the same loader."""
    _check(faults_report, "overrides", tmp_path, TEXT, overrides)


NASTY = {
    "empty": b"",
    "only_comment": b"# nothing\n",
    "nul_bytes": b"camera_id: cam\x000\n",
    "utf16": "camera_id: cam0\n".encode("utf-16"),
    "latin1": "camera_id: caméra\n".encode("latin-1"),
    "top_level_list": b"- a\n- b\n",
    "top_level_scalar": b"42\n",
    "python_tag": b"camera_id: !!python/object/apply:os.system ['true']\n",
    "deep_nesting": b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "deep_mapping": b"".join(b"  " * i + b"k:\n" for i in range(3000)),
    "huge_number": b"student: {num_threads: 1e309}\n",
    "nan": b"student: {score_threshold: .nan}\n",
    "inf": b"teacher: {budget: .inf}\n",
    "duplicate_keys": b"camera_id: a\ncamera_id: b\n",
    "tabs": b"source:\n\turi: x\n",
    "long_line": b"camera_id: " + b"x" * 1_000_000 + b"\n",
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_inputs(faults_report, tmp_path, name):
    _check(faults_report, "nasty", tmp_path, NASTY[name])


@pytest.mark.parametrize("name", ["missing_file", "directory"])
def test_bad_paths(faults_report, tmp_path, name):
    target = tmp_path / "absent.yaml" if name == "missing_file" else tmp_path
    outcome, msg = classify(lambda: load_config(str(target), {}))
    faults_report.bad_input("config:path", outcome == "clear", msg)
    assert outcome == "clear", msg


def test_alias_bomb_is_bounded(faults_report, tmp_path):
    """A 'billion laughs' YAML (aliases expanding 10^8 times) must end quickly with a
    clear error or a result, not eat the board's memory: run in a child process with a
    1 GiB address-space limit and a 60 s timeout."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\ncamera_id: cam0\n")
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from edge_tracker.config import load_config
        from edge_tracker.errors import EdgeTrackerError
        try:
            load_config({str(bomb)!r}, {{}})
        except EdgeTrackerError as exc:
            print("clear", str(exc)[:200]); sys.exit(0)
        print("ok"); sys.exit(0)
    """)
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, check=False)
        outcome = proc.stdout.split(" ", 1)[0].strip() if proc.returncode == 0 else "other"
        msg = (proc.stdout + proc.stderr)[-500:]
    except subprocess.TimeoutExpired:
        outcome, msg = "hang", "no result within 60 s"
    faults_report.bad_input("config:alias_bomb", outcome in ("ok", "clear"), msg)
    assert outcome in ("ok", "clear"), msg


def test_fuzz_counts_are_real(faults_report):
    """The counters move (guards against a fixture that silently records nothing)."""
    before = faults_report.bad_inputs_tried
    faults_report.bad_input("selftest", True)
    assert faults_report.bad_inputs_tried == before + 1
    assert math.isfinite(before)
