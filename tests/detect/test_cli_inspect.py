import json

import pytest

from edge_tracker.cli import main

from ._fakes import SSD, YOLOX640


def test_inspect_missing_file(tmp_path, capsys):
    rc = main(["inspect", str(tmp_path / "none.tflite")])
    assert rc == 2
    assert "model file not found" in capsys.readouterr().err


def test_inspect_not_a_model(tmp_path, capsys):
    p = tmp_path / "x.tflite"
    p.write_bytes(b"hello world, not a model")
    assert main(["inspect", str(p)]) == 2
    assert "not a TFLite model" in capsys.readouterr().err


@pytest.mark.real_data
@pytest.mark.parametrize("model, decoder", [(SSD, "ssd"), (YOLOX640, "yolox")])
def test_inspect_real_models(capsys, model, decoder):
    if not model.exists():
        pytest.skip(f"../shared/data absent: {model} not found")
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert f"decoder: {decoder}" in out and "inputs:" in out and "outputs:" in out
    assert main(["inspect", "--json", str(model)]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["detector"]["decoder"] == decoder
    if decoder == "ssd":
        assert rep["inputs"][0]["quantization"]["zero_point"] == 128
        assert rep["detector"]["raw_bytes"] is True


@pytest.mark.real_data
def test_inspect_wrong_type_lists_shapes(capsys):
    if not SSD.exists():
        pytest.skip(f"../shared/data absent: {SSD} not found")
    assert main(["inspect", "--type", "yolox", str(SSD)]) == 2
    captured = capsys.readouterr()
    assert "outputs:" in captured.out  # tensors still printed
    assert "do not fit decoder 'yolox'" in captured.err and "[1, 10, 4]" in captured.err
