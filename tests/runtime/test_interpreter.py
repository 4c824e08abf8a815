"""Runtime selection (LiteRT -> tflite_runtime -> tf.lite), load errors, quantization."""

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from edge_tracker.errors import ModelError
from edge_tracker.runtime import interpreter as rt

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SSD = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
FAKE_TFLITE = b"\x1c\x00\x00\x00TFL3" + b"\x00" * 32  # header only: enough for fakes


class FakeInterpreter:
    calls: list  # set per module

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.tensors = {}

    def allocate_tensors(self):
        pass

    def get_input_details(self):
        return [{"name": "in", "index": 0, "shape": np.array([1, 4, 4, 3]), "dtype": np.uint8,
                 "quantization": (0.5, 10),
                 "quantization_parameters": {"scales": np.array([0.5]),
                                             "zero_points": np.array([10])}}]

    def get_output_details(self):
        return [{"name": "out", "index": 1, "shape": np.array([1, 2]), "dtype": np.int8,
                 "quantization": (0.25, -2)}]

    def set_tensor(self, index, x):
        self.tensors[index] = x

    def invoke(self):
        self.tensors[1] = np.array([[-2, 6]], np.int8)

    def get_tensor(self, index):
        return self.tensors[index]


def _fake_runtime(name: str, loaded: list) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.Interpreter = FakeInterpreter
    mod.__version__ = "9.9"

    def load_delegate(lib, options=None):
        loaded.append((lib, options))
        if "missing" in lib:
            raise ValueError(f"Failed to load delegate from {lib}")
        return f"delegate:{lib}"
    mod.load_delegate = load_delegate
    return mod


@pytest.fixture
def no_runtime_cache(monkeypatch):
    monkeypatch.setattr(rt, "_cached_runtime", None)
    yield
    rt._cached_runtime = None  # monkeypatch restores the real value after this


@pytest.fixture
def model_file(tmp_path):
    p = tmp_path / "fake.tflite"
    p.write_bytes(FAKE_TFLITE)
    return str(p)


def _block(monkeypatch, *modules):
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)  # import raises ImportError


def test_prefers_ai_edge_litert(monkeypatch, no_runtime_cache):
    loaded = []
    monkeypatch.setitem(sys.modules, "ai_edge_litert", _fake_runtime("ai_edge_litert", loaded))
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter",
                        _fake_runtime("ai_edge_litert.interpreter", loaded))
    assert rt._import_runtime()[0] == "ai_edge_litert"
    assert rt.runtime_name() == "ai_edge_litert 9.9"


def test_falls_back_to_tflite_runtime(monkeypatch, no_runtime_cache, model_file):
    loaded = []
    _block(monkeypatch, "ai_edge_litert", "ai_edge_litert.interpreter")
    monkeypatch.setitem(sys.modules, "tflite_runtime", _fake_runtime("tflite_runtime", loaded))
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter",
                        _fake_runtime("tflite_runtime.interpreter", loaded))
    m = rt.load_model(model_file, num_threads=1, delegate="edgetpu",
                      delegate_options={"device": "usb"})
    assert m.runtime == "tflite_runtime"
    assert loaded == [("libedgetpu.so.1", {"device": "usb"})]
    assert m.interpreter.kwargs["experimental_delegates"] == ["delegate:libedgetpu.so.1"]
    assert m.interpreter.kwargs["num_threads"] == 1
    assert m.interpreter.kwargs["model_content"] == FAKE_TFLITE
    assert rt.runtime_name() == "tflite_runtime 9.9"


def test_falls_back_to_tensorflow_lite(monkeypatch, no_runtime_cache, model_file):
    loaded = []
    _block(monkeypatch, "ai_edge_litert", "ai_edge_litert.interpreter", "tflite_runtime",
           "tflite_runtime.interpreter")
    lite = types.ModuleType("tensorflow.lite")
    lite.Interpreter = FakeInterpreter
    lite.experimental = _fake_runtime("tensorflow.lite.experimental", loaded)
    tf = types.ModuleType("tensorflow")
    tf.lite = lite
    tf.__version__ = "2.99"
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    monkeypatch.setitem(sys.modules, "tensorflow.lite", lite)
    m = rt.load_model(model_file, delegate="/opt/libmydelegate.so")
    assert m.runtime == "tensorflow"
    assert loaded == [("/opt/libmydelegate.so", {})]
    assert rt.runtime_name() == "tensorflow 2.99"


def test_no_runtime_at_all(monkeypatch, no_runtime_cache):
    _block(monkeypatch, "ai_edge_litert", "ai_edge_litert.interpreter", "tflite_runtime",
           "tflite_runtime.interpreter", "tensorflow", "tensorflow.lite")
    with pytest.raises(ModelError, match="no TFLite runtime.*pip install ai-edge-litert"):
        rt._import_runtime()


def test_bad_delegate_is_model_error(monkeypatch, no_runtime_cache, model_file):
    loaded = []
    monkeypatch.setitem(sys.modules, "ai_edge_litert", _fake_runtime("ai_edge_litert", loaded))
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter",
                        _fake_runtime("ai_edge_litert.interpreter", loaded))
    with pytest.raises(ModelError, match="cannot load delegate '/x/missing.so'"):
        rt.load_model(model_file, delegate="/x/missing.so")


def test_quantization_in_and_out(model_file):
    m = rt.load_model(model_file, interpreter_factory=FakeInterpreter)
    assert m.input.scale == 0.5 and m.input.zero_point == 10 and m.input.quantized
    q = m.quantize_input(np.array([0.0, 1.0, -100.0, 200.0], np.float32))
    assert q.dtype == np.uint8 and q.tolist() == [10, 12, 0, 255]  # x/0.5 + 10, clipped
    out = m.run(np.zeros((1, 4, 4, 3), np.uint8))
    np.testing.assert_allclose(out[0], [[0.0, 2.0]])  # (q - (-2)) * 0.25
    assert out[0].dtype == np.float32
    with pytest.raises(ModelError, match=r"expects shape \[1, 4, 4, 3\], got \[1, 2\]"):
        m.set_input(np.zeros((1, 2), np.uint8))


class FailingInvoke(FakeInterpreter):
    def invoke(self):
        raise RuntimeError("tensorflow/lite/kernels/conv.cc:351 bad shape\nNode number 3 failed")


def test_invoke_failure_is_model_error_naming_the_file(model_file):
    m = rt.load_model(model_file, interpreter_factory=FailingInvoke)
    with pytest.raises(ModelError, match=r"invoke failed: tensorflow/lite/kernels/conv.cc:351"
                       ) as info:
        m.run(np.zeros((1, 4, 4, 3), np.uint8))
    assert str(model_file) in str(info.value)


@pytest.mark.parametrize("threads", [0, -1, 1000, 1.5, True])
def test_bad_num_threads(model_file, threads):
    with pytest.raises(ModelError, match="num_threads"):
        rt.load_model(model_file, num_threads=threads, interpreter_factory=FakeInterpreter)


@pytest.mark.parametrize("make, match", [
    (lambda p: None, "model file not found"),
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: p.write_bytes(b""), "not a TFLite model.*0 bytes"),
    (lambda p: p.write_bytes(b"PK\x03\x04 a zip file, not a model"), "not a TFLite model"),
    (lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)), "not a TFLite model"),
])
def test_load_errors_name_the_file(tmp_path, make, match):
    p = tmp_path / "model.tflite"
    make(p)
    with pytest.raises(ModelError, match=match) as exc:
        rt.load_model(str(p))
    assert str(p) in str(exc.value)


def test_corrupt_flatbuffer_with_valid_magic(tmp_path):
    p = tmp_path / "garbage.tflite"
    p.write_bytes(b"\x1c\x00\x00\x00TFL3" + np.random.default_rng(1).bytes(5000))
    with pytest.raises(ModelError, match="cannot load TFLite model .*garbage.tflite"):
        rt.load_model(str(p))


@pytest.mark.real_data
@pytest.mark.parametrize("keep", [16, 1000, 100_000])
def test_truncated_real_model(tmp_path, keep):
    if not SSD.exists():
        pytest.skip(f"../shared/data absent: {SSD} not found")
    p = tmp_path / "truncated.tflite"
    p.write_bytes(SSD.read_bytes()[:keep])
    with pytest.raises(ModelError, match="truncated.tflite"):
        rt.load_model(str(p))


@pytest.mark.real_data
# ai_edge_litert's Delegate.__del__ raises AttributeError after a failed load (its bug).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_real_model_bad_delegate_and_metadata():
    if not SSD.exists():
        pytest.skip(f"../shared/data absent: {SSD} not found")
    with pytest.raises(ModelError, match="cannot load delegate"):
        rt.load_model(str(SSD), delegate="/nonexistent/libdelegate.so")
    m = rt.load_model(str(SSD))
    assert m.input.dtype == np.uint8 and m.input.scale == pytest.approx(1 / 128)
    assert [o.shape for o in m.outputs] == [(1, 10, 4), (1, 10), (1, 10), (1,)]
