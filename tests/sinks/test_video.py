import numpy as np

from edge_tracker.sinks.video import VideoConfig, VideoSink, draw_tracks


def test_draw_tracks_marks_box_edges(result_factory):
    img = np.zeros((40, 60, 3), np.uint8)
    out = draw_tracks(img, result_factory(0, [(1, (10, 10, 30, 30))]).tracks, str)
    assert img.sum() == 0  # input untouched
    assert out[10, 20].any() and out[30, 20].any()  # top and bottom edges drawn
    assert not out[20, 20].any()  # inside empty


def test_video_sink_writes_readable_file(tmp_path, result_factory):
    import cv2
    path = tmp_path / "v.avi"
    sink = VideoSink(VideoConfig(path=str(path), fps=5))
    for i in range(5):
        sink.write(result_factory(i, [(1, (i, i, i + 10, i + 10))]), np.zeros((48, 64, 3), np.uint8))
    sink.close()
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 5
