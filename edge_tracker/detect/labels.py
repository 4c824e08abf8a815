"""Label lists and the class filter by name.

Label files understood (one entry per line, UTF-8):

- TFLite/TF object-detection ``labelmap.txt``: first line ``???`` is the background
  class the SSD post-processing op already removed, so it is dropped and model class
  id 0 is the second line (``person``). Later ``???`` lines are unused ids, kept as
  placeholders so ids stay aligned;
- Coral-style ``ID  name`` lines (``0  person``): the id gives the index, gaps become
  ``n/a``;
- plain lists (COCO 80 for YOLOX/YOLOv8, COCO 90-id list with ``n/a`` gaps).
"""

from __future__ import annotations

import difflib
import os
import re

from ..errors import ConfigError, ModelError

BACKGROUND = "???"

# The 80 COCO classes in the order YOLOX / Ultralytics models emit them.
COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat",
    "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack",
    "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball",
    "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
    "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair",
    "couch", "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
    "toothbrush",
)

# COCO category ids 1..90 (0-based here) as TF object-detection SSD models emit them;
# the 10 ids COCO never used are "n/a".
_COCO90_GAPS = {11, 25, 28, 29, 44, 65, 67, 68, 70, 82}  # 0-based unused ids


def _coco90() -> tuple[str, ...]:
    names = iter(COCO80)
    return tuple("n/a" if i in _COCO90_GAPS else next(names) for i in range(90))


COCO90 = _coco90()

_CORAL_LINE = re.compile(r"^\s*(\d+)[\s:,]+(.+?)\s*$")


def parse_labels(text: str, source: str = "<labels>") -> list[str]:
    """Label list from a label file's text (see module doc)."""
    lines = [ln.strip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ModelError(f"label file {source} is empty")
    coral = [_CORAL_LINE.match(ln) for ln in lines if ln]
    if all(coral) and len(coral) > 1:
        table = {int(m.group(1)): m.group(2) for m in coral if m}
        return [table.get(i, "n/a") for i in range(max(table) + 1)]
    if lines[0] == BACKGROUND:
        lines = lines[1:]
    return lines


def load_labels(path: str) -> list[str]:
    """Labels from a file; errors name the file."""
    if not os.path.isfile(path):
        raise ModelError(f"label file not found: {path}")
    try:
        with open(path, encoding="utf-8") as fh:
            return parse_labels(fh.read(), path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read label file {path}: {exc}") from exc


def default_labels(decoder_name: str) -> list[str]:
    """COCO 90-id list for SSD (TF object-detection ids), COCO 80 otherwise."""
    return list(COCO90 if decoder_name == "ssd" else COCO80)


def class_ids(names: tuple[str, ...] | list[str], labels: list[str],
              key: str = "classes") -> list[int] | None:
    """Model class ids for the label ``names`` (case-insensitive); None keeps all classes.

    An unknown name is a ConfigError at ``key`` suggesting the closest labels.
    """
    if not names:
        return None
    lower = [lab.lower() for lab in labels]
    ids: list[int] = []
    for name in names:
        hits = [i for i, lab in enumerate(lower) if lab == name.strip().lower()]
        if not hits:
            close = difflib.get_close_matches(name.lower(), sorted(set(lower)), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else \
                f"; the model's labels start {labels[:5]}"
            raise ConfigError(key, f"unknown class name {name!r} ({len(labels)} labels){hint}")
        ids.extend(hits)
    return sorted(set(ids))
