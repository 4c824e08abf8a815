import pytest

from edge_tracker.sinks.mot import MotConfig, MotSink, mot_lines


@pytest.mark.parametrize("frame,tracks,expected", [
    (0, [], ""),
    (0, [(4, (10, 20, 40, 80))], "1,4,10.00,20.00,30.00,60.00,0.9000,-1,-1,-1\n"),
    (9, [(1, (0.5, 1, 2.5, 4)), (2, (5, 5, 6, 7))],
     "10,1,0.50,1.00,2.00,3.00,0.9000,-1,-1,-1\n10,2,5.00,5.00,1.00,2.00,0.9000,-1,-1,-1\n"),
])
def test_mot_lines(result_factory, frame, tracks, expected):
    assert mot_lines(frame, result_factory(frame, tracks).tracks) == expected


def test_mot_sink_writes_one_based(tmp_path, result_factory):
    path = tmp_path / "m.txt"
    sink = MotSink(MotConfig(path=str(path)))
    sink.write(result_factory(0, [(1, (0, 0, 10, 10))]))
    sink.write(result_factory(1, []))
    sink.write(result_factory(2, [(1, (1, 1, 11, 11))]))
    sink.close()
    assert [ln.split(",")[:2] for ln in path.read_text().splitlines()] == [["1", "1"], ["3", "1"]]
