import json

import numpy as np
import pytest

from edge_tracker.configbase import build
from edge_tracker.detect.detector import Detector, DetectorConfig, resolve_preprocess
from edge_tracker.detect.ssd import SsdDecoder
from edge_tracker.errors import ConfigError, ModelError

from ._fakes import MOT_MINI, SSD, YOLOX416, YOLOX640, fake_model, tinfo


def _ssd_model(count=3, metadata=None):
    boxes = np.array([[[0.1, 0.1, 0.5, 0.3], [0.1, 0.1, 0.5, 0.3], [0.0, 0.5, 1.0, 1.0],
                       [0.2, 0.2, 0.3, 0.3]]], np.float32)
    classes = np.array([[0, 2, 0, 0]], np.float32)
    scores = np.array([[0.9, 0.8, 0.2, 0.95]], np.float32)
    names = [f"TFLite_Detection_PostProcess{s}" for s in ("", ":1", ":2", ":3")]
    return fake_model([tinfo((1, 100, 100, 3), np.uint8, "img", 0, 1 / 128, 128)],
                      [boxes, classes, scores, np.array([count], np.float32)], names,
                      metadata=metadata)


def test_detector_ssd_end_to_end_on_fake_model():
    det = Detector.from_model(_ssd_model(), DetectorConfig())
    assert isinstance(det.decoder, SsdDecoder)
    assert det.spec.raw and det.spec.channels == "rgb" and det.spec.resize == "stretch"
    assert det.input_size == (100, 100) and not det.has_prior_channel
    assert det.name == "fake" and det.labels[0] == "person"
    img = np.zeros((200, 400, 3), np.uint8)
    d = det.detect(img, frame_index=7, origin="teacher")
    # row 1 is class 2 (car) -> filtered, row 2 score .2 < .3, row 3 beyond count
    np.testing.assert_allclose(d.boxes, [[40, 20, 120, 100]], rtol=1e-5)  # source px
    assert d.scores.tolist() == pytest.approx([0.9]) and d.classes.tolist() == [0]
    assert d.frame_index == 7 and d.origin == "teacher" and d.from_teacher.tolist() == [True]
    assert det.model.interpreter.last_input.dtype == np.uint8


def test_detector_all_classes_sorted_and_capped():
    det = Detector.from_model(_ssd_model(count=4),
                              DetectorConfig(classes=(), score_threshold=0.0, max_detections=2))
    d = det.detect(np.zeros((100, 100, 3), np.uint8))
    assert d.scores.tolist() == pytest.approx([0.95, 0.9])


def test_detector_empty_result_shapes():
    det = Detector.from_model(_ssd_model(count=0))
    d = det.detect(np.zeros((100, 100, 3), np.uint8))
    assert d.boxes.shape == (0, 4) and d.boxes.dtype == np.float32 and len(d) == 0


def test_precedence_config_over_metadata_over_defaults():
    meta = {"channels": "bgr", "mean": 127.5, "scale": [0.5, 0.5, 0.5], "resize": "letterbox",
            "labels": ["person", "dog"]}
    model = _ssd_model(metadata=meta)
    det = Detector.from_model(model, DetectorConfig())
    s = det.spec
    assert (s.channels, s.mean, s.scale, s.resize) == ("bgr", (127.5,) * 3, (0.5,) * 3,
                                                       "letterbox")
    assert not s.raw and det.labels == ["person", "dog"]
    det = Detector.from_model(model, DetectorConfig(channels="rgb", scale=(1.0, 1.0, 1.0),
                                                    letterbox_align="center", pad_value=0))
    s = det.spec
    assert (s.channels, s.mean, s.scale, s.align, s.pad_value) == (
        "rgb", (127.5,) * 3, (1.0,) * 3, "center", 0)


def test_float_ssd_input_gets_minus_one_one():
    model = _ssd_model()
    model.inputs[0] = tinfo((1, 100, 100, 3), np.float32, "img")
    spec = resolve_preprocess(DetectorConfig(), {}, SsdDecoder, model.inputs[0])
    assert spec.mean == (127.5,) * 3 and spec.scale == pytest.approx((1 / 127.5,) * 3)
    assert not spec.raw


def test_labels_file_and_unknown_class(tmp_path):
    lab = tmp_path / "labels.txt"
    lab.write_text("???\ncat\nperson\n")
    det = Detector.from_model(_ssd_model(), DetectorConfig(labels=str(lab)))
    assert det.labels == ["cat", "person"] and det.class_ids == [1]
    with pytest.raises(ConfigError, match="did you mean 'person'"):
        Detector.from_model(_ssd_model(), DetectorConfig(classes=("persons",)))


def test_config_build_bounds_and_missing_model():
    with pytest.raises(ConfigError, match="student.score_threshold: must be <= 1"):
        build(DetectorConfig, {"score_threshold": 1.5}, "student")
    with pytest.raises(ConfigError, match="nms_iou: must be > 0"):
        build(DetectorConfig, {"nms_iou": 0}, "student")
    with pytest.raises(ConfigError, match="did you mean 'score_threshold'"):
        build(DetectorConfig, {"score_treshold": 0.2}, "student")
    assert build(DetectorConfig, {"classes": ["person", "car"]}).classes == ("person", "car")
    with pytest.raises(ConfigError, match="no model file"):
        Detector.from_config(DetectorConfig())


def test_unsupported_model_outputs_error_lists_shapes():
    model = fake_model([tinfo((1, 32, 32, 3))], [np.zeros((1, 7), np.float32)])
    with pytest.raises(ModelError, match=r"no decoder fits.*\[1, 7\]"):
        Detector.from_model(model)


def test_bad_input_shape():
    model = fake_model([tinfo((32, 32))], [np.zeros((1, 8400, 85), np.float32)])
    with pytest.raises(ModelError, match=r"must be \[1, H, W, C\]"):
        Detector.from_model(model)


def test_sidecar_metadata_drives_decoder_options(tmp_path):
    """Metadata from MODEL.json reaches the decoder (yolox decoded flag)."""
    from edge_tracker.runtime.metadata import read_metadata
    (tmp_path / "m.json").write_text(json.dumps({"decoder": "yolox", "decoded": True}))
    meta = read_metadata(str(tmp_path / "m.tflite"))
    model = fake_model([tinfo((1, 64, 64, 3))], [np.zeros((1, 84, 7), np.float32)],
                       metadata=meta)
    det = Detector.from_model(model)
    assert det.decoder.name == "yolox" and det.decoder.decoded is True
    det = Detector.from_model(model, DetectorConfig(decoder_options={"decoded": False}))
    assert det.decoder.decoded is False


# ------------------------------------------------------------------ real models
def _need(path):
    if not path.exists():
        pytest.skip(f"../shared/data absent: {path} not found")


def _gt_boxes(seq, frame):
    g = np.loadtxt(MOT_MINI / seq / "gt" / "gt.txt", delimiter=",")
    g = g[(g[:, 0] == frame) & (g[:, 7] == 1) & (g[:, 8] >= 0.5)]
    b = g[:, 2:6].astype(np.float32)
    b[:, 2:] += b[:, :2]
    return b


@pytest.mark.real_data
@pytest.mark.parametrize("model, min_hits", [(SSD, 2), (YOLOX640, 15), (YOLOX416, 8)])
def test_real_models_find_people_on_mot_frame(model, min_hits):
    import cv2

    from edge_tracker.detect.nms import iou_matrix
    _need(model)
    _need(MOT_MINI)
    img = cv2.imread(str(MOT_MINI / "MOT17-04-FRCNN" / "img1" / "000001.jpg"))
    det = Detector.from_config(DetectorConfig(model=str(model)))
    d = det.detect(img)
    assert len(d) > 0 and (d.classes == 0).all() and (d.scores >= 0.3).all()
    assert (d.boxes[:, 2] <= img.shape[1]).all() and (d.boxes[:, 3] <= img.shape[0]).all()
    hits = (iou_matrix(d.boxes, _gt_boxes("MOT17-04-FRCNN", 1)).max(axis=1) >= 0.5).sum()
    assert hits >= min_hits, (hits, len(d))
