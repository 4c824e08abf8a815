"""Data passed between the stages of one frame's way through the pipeline.

Box format everywhere: ``xyxy`` (x1, y1, x2, y2) float32 in source-frame pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ORIGIN_STUDENT = "student"
ORIGIN_TEACHER = "teacher"
ORIGIN_FUSED = "fused"


@dataclass
class Frame:
    """One captured image.

    image: (H, W, 3) uint8 BGR.
    index: 0-based frame counter of the source.
    t_capture: capture time in clock seconds (the injected clock's time base).
    """

    image: np.ndarray
    index: int
    t_capture: float
    source_id: str = "cam0"

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) in pixels."""
        return int(self.image.shape[0]), int(self.image.shape[1])


def _empty_boxes() -> np.ndarray:
    return np.zeros((0, 4), dtype=np.float32)


@dataclass
class Detections:
    """Detections of one frame.

    boxes: (N, 4) float32 xyxy in frame pixels; empty is (0, 4).
    scores: (N,) float32 in [0, 1].
    classes: (N,) int32 class ids of the model's label list.
    origin: ``student``, ``teacher`` or ``fused``; per detection origins (after
        fusion) are in ``from_teacher`` (N,) bool.
    """

    boxes: np.ndarray = field(default_factory=_empty_boxes)
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    classes: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int32))
    frame_index: int = -1
    origin: str = ORIGIN_STUDENT
    from_teacher: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        self.classes = np.asarray(self.classes, dtype=np.int32).reshape(-1)
        n = self.boxes.shape[0]
        if self.scores.shape[0] != n or self.classes.shape[0] != n:
            raise ValueError(
                f"Detections: boxes {self.boxes.shape}, scores {self.scores.shape} and "
                f"classes {self.classes.shape} must have the same length"
            )
        if self.from_teacher is None:
            self.from_teacher = np.full((n,), self.origin == ORIGIN_TEACHER, dtype=bool)
        else:
            self.from_teacher = np.asarray(self.from_teacher, dtype=bool).reshape(-1)

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def select(self, keep: np.ndarray) -> "Detections":
        """A subset by boolean mask or index array."""
        return Detections(
            self.boxes[keep], self.scores[keep], self.classes[keep],
            self.frame_index, self.origin, self.from_teacher[keep],
        )

    @staticmethod
    def empty(frame_index: int = -1, origin: str = ORIGIN_STUDENT) -> "Detections":
        return Detections(frame_index=frame_index, origin=origin)


@dataclass(frozen=True)
class TrackView:
    """Immutable public view of one track after a tracker update.

    box: (4,) float32 xyxy in frame pixels (the Kalman estimate).
    state: ``tentative``, ``confirmed`` or ``lost``.
    """

    id: int
    box: tuple[float, float, float, float]
    score: float
    label: int
    state: str
    t_last_seen: float
    from_teacher: bool = False
