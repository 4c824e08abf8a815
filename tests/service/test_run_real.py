"""Issue 2 goal: `edge-tracker run` on the visionworks clip with the SSD int8 student
writes JSONL and MOT; at least 10 tracks live 30 frames or more."""

from __future__ import annotations

import collections
import json

import pytest

from edge_tracker.cli import main

from .conftest import SSD, VISIONWORKS

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def test_run_visionworks_ssd(tmp_path, capsys):
    if not (SSD.is_file() and VISIONWORKS.is_file()):
        pytest.skip(f"../shared/data absent: need {SSD} and {VISIONWORKS}")
    jsonl, mot = tmp_path / "t.jsonl", tmp_path / "t.txt"
    rc = main(["run", "--source", str(VISIONWORKS), "--student", str(SSD),
               "--output-jsonl", str(jsonl), "--output-mot", str(mot), "--no-http"])
    assert rc == 0, capsys.readouterr().err
    rows = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert [r["frame"] for r in rows] == list(range(len(rows)))
    assert len(rows) >= 400
    lengths = collections.Counter(int(ln.split(",")[1]) for ln in mot.read_text().splitlines())
    long_tracks = sum(1 for n in lengths.values() if n >= 30)
    print(f"visionworks + SSD: {len(lengths)} tracks, {long_tracks} live >= 30 frames")
    for ln in mot.read_text().splitlines()[:50]:
        f = ln.split(",")
        assert len(f) == 10 and f[7:] == ["-1", "-1", "-1"] and int(f[0]) >= 1
    assert long_tracks >= 10
