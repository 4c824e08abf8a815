"""Table of invalid configs and sources through ``edge_tracker.cli.main``: each ends with
its exit code and one stderr line containing the expected text (never a traceback)."""

from __future__ import annotations

import os
import socket

import pytest

from edge_tracker.cli import main

from .conftest import DATA


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


CASES = [
    # id, config YAML, extra CLI args, exit code, message substring
    ("unknown-key", "studnet: {score_threshold: 0.2}\n", [], 2,
     "config studnet: unknown key (did you mean 'student'?)"),
    ("unknown-nested-key", "teacher: {polcy: budget}\n", [], 2, "did you mean 'policy'"),
    ("wrong-type", "student: {score_threshold: high}\n", [], 2,
     "config student.score_threshold: expected a number, got 'high'"),
    ("out-of-range", "tracker: {track_buffer_s: -1}\n", [], 2,
     "config tracker.track_buffer_s: must be >= 0"),
    ("bad-choice", "teacher: {policy: sometimes}\n", [], 2,
     "config teacher.policy: must be one of"),
    ("bad-yaml", "source:\n  uri: [0\nstudent: {}\n", [], 2, "YAML syntax error at line"),
    ("cross-field", "tracker: {low_score: 0.9, high_score: 0.5}\n", [], 2,
     "config tracker.low_score: must be <= high_score"),
    ("unknown-override", "", ["--set", "sinks.jsonl.paht=x"], 2,
     "config sinks.jsonl.paht: unknown key (did you mean 'path'?)"),
    ("bad-camera-id", "camera_id: 'a/b'\n", [], 2, "config camera_id: must be non-empty"),
    ("missing-model", "student: {model: {tmp}/nope.tflite}\n", [], 2, "nope.tflite"),
    ("corrupt-model", "student: {model: {tmp}/corrupt.tflite}\n", [], 2, "corrupt.tflite"),
    ("unsupported-outputs", f"student: {{model: {DATA}/unsupported_outputs.tflite}}\n", [], 2,
     "unsupported_outputs.tflite"),
    ("missing-teacher", "teacher: {enabled: true, detector: {model: {tmp}/t.tflite}}\n", [], 2,
     "t.tflite"),
    ("unwritable-output", "sinks: {jsonl: {path: {tmp}/no/such/dir/t.jsonl}}\n", [], 4,
     "{tmp}/no/such/dir"),
    ("output-is-directory", "sinks: {mot: {path: {tmp}}}\n", [], 4, "is a directory"),
    ("unwritable-proc", "sinks: {jsonl: {path: /proc/edge-tracker.jsonl}}\n", [], 2,
     "sinks.jsonl.path: output path /proc/edge-tracker.jsonl is inside /proc"),
    ("missing-video", "source: {uri: {tmp}/missing.mp4}\n", [], 3, "missing.mp4"),
    ("unreachable-url", ("source: {uri: 'rtsp://user:secret@127.0.0.1:9/cam', open_timeout_s: 2,"
                        " max_reconnects: 1}\n"), [], 3, "127.0.0.1:9"),
    ("camera-index-absent", "source: {uri: '63', type: camera, open_timeout_s: 2}\n", [], 3,
     "63"),
    ("empty-image-folder", "source: {uri: {tmp}/empty, type: images}\n", [], 3, "empty"),
    ("http-port-busy", "http: {port: {busy}}\n", [], 2, "cannot listen on 127.0.0.1:{busy}"),
]


@pytest.mark.parametrize("name,text,extra,code,message", CASES, ids=[c[0] for c in CASES])
def test_invalid_config_or_source(tmp_path, capsys, student_model, synthetic_video,
                                  name, text, extra, code, message):
    (tmp_path / "corrupt.tflite").write_bytes(b"\x00TFL3" + os.urandom(2000))
    (tmp_path / "empty").mkdir()
    busy = _busy_port()
    port = busy.getsockname()[1]
    try:
        subst = {"{tmp}": str(tmp_path), "{busy}": str(port)}
        for k, v in subst.items():
            text = text.replace(k, v)
            message = message.replace(k, v)
        # valid defaults for the parts a case does not break
        base = {"source.uri": synthetic_video, "student.model": student_model,
                "teacher.enabled": "false", "http.port": "0"}
        cfg = tmp_path / "cam.yaml"
        cfg.write_text(text)
        args = ["run", "--config", str(cfg)]
        for key, value in base.items():
            if key.split(".")[0] + ":" not in text and key.split(".")[0] not in \
                    " ".join(extra):
                args += ["--set", f"{key}={value}"]
        args += ["--max-frames", "1"] + extra
        rc = main(args)
    finally:
        busy.close()
    err = capsys.readouterr().err
    assert rc == code, err
    last = [ln for ln in err.splitlines() if ln.startswith("edge-tracker run: error:")]
    assert last, err
    assert message in last[-1]
    assert "Traceback" not in err
    assert "secret" not in err  # URL credentials are masked


def test_validate_reports_what_it_checked(tmp_path, capsys, student_model):
    cfg = tmp_path / "cam.yaml"
    cfg.write_text(f"student: {{model: {student_model}}}\nteacher: {{enabled: false}}\n"
                   f"sinks: {{jsonl: {{path: out.jsonl}}}}\n")
    assert main(["validate", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "keys, types and bounds OK" in out
    assert "student: " in out and "decoder" in out
    assert f"sinks.jsonl.path: {tmp_path / 'out.jsonl'} writable" in out
    assert out.rstrip().endswith("valid")


@pytest.mark.parametrize("text,code,message", [
    ("studnet: {}\n", 2, "did you mean 'student'"),
    ("student: {model: /nonexistent/m.tflite}\n", 2, "/nonexistent/m.tflite"),
    ("teacher: {enabled: false}\nsinks: {mot: {path: /nonexistent/dir/m.txt}}\n", 4,
     "/nonexistent/dir"),
])
def test_validate_fails_like_run(tmp_path, capsys, student_model, text, code, message):
    cfg = tmp_path / "cam.yaml"
    cfg.write_text(text)
    args = ["validate", str(cfg)]
    if "student:" not in text:
        args += ["--set", f"student.model={student_model}"]
    assert main(args) == code
    assert message in capsys.readouterr().err
