import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name):
    """benchmarks/<name>.py as a module (benchmarks/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_scripts_{name}",
                                                  ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


compare = _load("compare")
perf_table = _load("perf_table")

LAT = {"benchmark": "latency", "model_name": "ssd.tflite", "threads": 1,
       "model_size_bytes": 4 * 2**20, "init_ms": 20.0,
       "invoke_ms": {"p50": 6.25, "p95": 7.0}, "bare_invoke_ms_p50": 6.2,
       "preprocess_ms": {"p50": 0.5}, "decode_ms": {"p50": 0.25}, "peak_rss_bytes": 90 * 2**20,
       "machine": {"cpu": "Test CPU", "cores": 2, "arch": "x86_64", "runtime": "rt 1",
                   "python": "3.11.7", "date": "2026-11-21T10:00:00+0000"}}
PIPE = {"benchmark": "pipeline", "frames": 10, "fps": 50.0,
        "frame_wall_ms": {"p50": 8.0, "p95": 9.0}, "frame_latency_ms": {"p99": 12.0},
        "overhead_ratio": 1.1, "teacher_runs": 0, "deadline_misses": 0}


@pytest.fixture
def results(tmp_path):
    d = tmp_path / "results"
    d.mkdir()
    (d / "latency_ssd.json").write_text(json.dumps(LAT))
    (d / "pipeline_ssd.json").write_text(json.dumps(PIPE))
    return d


def test_table_content(results):
    table = perf_table.make_table(perf_table.load_results(results))
    assert "Test CPU (2 cores, x86_64)" in table
    assert "2026-11-21" in table
    assert "| ssd.tflite | 1 | 4.0 MiB | 20 ms | 6.25 ms | 7.00 ms | 6.20 ms |" in table
    assert "| pipeline_ssd | 10 | 50.0 | 8.00 ms |" in table


def test_rewrites_only_between_markers(results, tmp_path):
    readme = tmp_path / "README.md"
    before = "# Title\n\nintro\n\n## Performance\n"
    after = "\n\ntail text\n<!-- perf-table:end --> not a second block\n"
    readme.write_text(before + perf_table.START + "\nOLD TABLE\n" + perf_table.END + after)
    assert perf_table.main(["--results", str(results), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith(before + perf_table.START + "\n")
    assert text.endswith(perf_table.END + after)
    assert "OLD TABLE" not in text
    assert "ssd.tflite" in text
    # idempotent
    perf_table.main(["--results", str(results), "--readme", str(readme)])
    assert readme.read_text() == text


def test_without_markers_prints_and_leaves_file(results, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers here\n")
    assert perf_table.main(["--results", str(results), "--readme", str(readme)]) == 0
    assert readme.read_text() == "# no markers here\n"
    assert "ssd.tflite" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["", "a " + perf_table.END + " b " + perf_table.START])
def test_replace_none_when_markers_missing_or_reversed(text):
    assert perf_table.replace_between_markers(text, "T") is None


def test_empty_results(tmp_path):
    table = perf_table.make_table([])
    assert "No benchmark results yet" in table


def test_compare_ratios(tmp_path):
    b = json.loads(json.dumps(LAT))
    b["invoke_ms"]["p50"] = 12.5
    b["threads"] = 2
    lines = compare.compare(LAT, b)
    assert any(line.startswith("! threads") for line in lines)
    inv = next(line for line in lines if line.startswith("invoke_ms.p50"))
    assert "2.000" in inv and inv.endswith("*")
    p95 = next(line for line in lines if line.startswith("invoke_ms.p95"))
    assert "1.000" in p95 and not p95.endswith("*")


def test_compare_cli(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(LAT))
    b.write_text(json.dumps(LAT))
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), str(a),
                          str(b)], capture_output=True, text=True, check=True).stdout
    assert "init_ms" in out and "1.000" in out
