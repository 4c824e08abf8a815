"""Credential masking and back-end guessing."""

from __future__ import annotations

import pytest

from edge_tracker.sources.urls import camera_index, guess_type, mask_text, mask_url


@pytest.mark.parametrize("url,masked", [
    ("rtsp://user:pass@host:554/stream1", "rtsp://user:***@host:554/stream1"),
    ("rtsp://admin:p@ss:w0rd@10.0.0.2/live", "rtsp://admin:***@10.0.0.2/live"),
    ("http://:secret@cam.local/mjpg", "http://:***@cam.local/mjpg"),
    ("http://cam/x.mjpg?user=bob&password=hunter2&fps=5",
     "http://cam/x.mjpg?user=bob&password=***&fps=5"),
    ("https://cam/s?access_token=abc.def&api_key=k1", "https://cam/s?access_token=***&api_key=***"),
    ("rtsp://host/stream", "rtsp://host/stream"),
    ("rtsp://user@host/stream", "rtsp://user@host/stream"),
    ("tcp://127.0.0.1:9000", "tcp://127.0.0.1:9000"),
    ("/dev/video0", "/dev/video0"),
    ("0", "0"),
    ("", ""),
])
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_mask_text_masks_every_url_in_a_message():
    text = "open rtsp://a:b@h1/x failed; fallback http://c:d@h2/y too"
    assert mask_text(text) == "open rtsp://a:***@h1/x failed; fallback http://c:***@h2/y too"


@pytest.mark.parametrize("uri,kind", [
    ("0", "camera"), ("12", "camera"), ("/dev/video3", "camera"),
    ("rtsp://u:p@h/s", "stream"), ("http://h/x.mjpg", "stream"), ("tcp://127.0.0.1:9", "stream"),
    ("udp://0.0.0.0:5000", "stream"), ("srt://h:9000", "stream"),
    ("videotestsrc ! videoconvert ! appsink", "gstreamer"),
    ("clip.mp4", "file"), ("frames/*.jpg", "images"),
])
def test_guess_type(uri, kind):
    assert guess_type(uri) == kind


@pytest.mark.parametrize("uri,index", [("0", 0), (" 3 ", 3), ("/dev/video10", 10),
                                       ("/dev/video", None), ("cam0", None)])
def test_camera_index(uri, index):
    assert camera_index(uri) == index
