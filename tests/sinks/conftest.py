from types import SimpleNamespace

import pytest

from edge_tracker.types import TrackView


def make_result(frame: int, boxes: list[tuple[int, tuple[float, float, float, float]]],
                t: float | None = None) -> SimpleNamespace:
    """A FrameResult stand-in: tracks (id, xyxy box), score 0.9, label 0."""
    tracks = [TrackView(id=i, box=b, score=0.9, label=0, state="confirmed",
                        t_last_seen=t if t is not None else frame / 10)
              for i, b in boxes]
    return SimpleNamespace(frame_index=frame, t_capture=t if t is not None else frame / 10,
                           tracks=tracks)


@pytest.fixture
def result_factory():
    return make_result
