import pytest

from edge_tracker.detect.labels import (
    COCO80,
    COCO90,
    class_ids,
    default_labels,
    load_labels,
    parse_labels,
)
from edge_tracker.errors import ConfigError, ModelError


@pytest.mark.parametrize("text, expected", [
    ("???\nperson\nbicycle\n???\ncar\n", ["person", "bicycle", "???", "car"]),
    ("person\nbicycle\n\n", ["person", "bicycle"]),
    ("0  person\n1  bicycle\n3  car\n", ["person", "bicycle", "n/a", "car"]),
    ("0: person\n2: car", ["person", "n/a", "car"]),
])
def test_parse_labels(text, expected):
    assert parse_labels(text) == expected


def test_empty_and_missing_label_files(tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ModelError, match="empty.txt is empty"):
        load_labels(str(tmp_path / "empty.txt"))
    with pytest.raises(ModelError, match="label file not found: .*nope.txt"):
        load_labels(str(tmp_path / "nope.txt"))


def test_coco_tables():
    assert len(COCO80) == 80 and len(COCO90) == 90
    assert COCO90[0] == COCO80[0] == "person"
    assert COCO90[11] == "n/a" and COCO90[12] == "stop sign" and COCO90[89] == "toothbrush"
    assert default_labels("ssd") == list(COCO90)
    assert default_labels("yolox") == default_labels("yolov8") == list(COCO80)


@pytest.mark.parametrize("names, expected", [
    (("person",), [0]), (("Person", "car"), [0, 2]), ((), None), (("n/a",), [1, 3])])
def test_class_ids(names, expected):
    assert class_ids(names, ["person", "n/a", "car", "n/a"]) == expected


def test_unknown_class_suggests_close_labels():
    with pytest.raises(ConfigError) as exc:
        class_ids(("persn",), list(COCO80), key="student.classes")
    msg = str(exc.value)
    assert "student.classes" in msg and "'persn'" in msg and "did you mean 'person'" in msg
    with pytest.raises(ConfigError, match="labels start"):
        class_ids(("zzzzzz",), list(COCO80))
