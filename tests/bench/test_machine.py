import pytest

from edge_tracker.bench.machine import cpu_model, machine_info
from edge_tracker.bench.schema import machine_problems

X86 = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\nmodel name\t: Intel Xeon\n"
PI4 = ("processor\t: 0\nBogoMIPS\t: 108.00\nCPU part\t: 0xd08\n\nHardware\t: BCM2835\n"
       "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n")


@pytest.mark.parametrize("text, want", [(X86, "Intel Xeon"),
                                        (PI4, "Raspberry Pi 4 Model B Rev 1.4")])
def test_cpu_model_parses(text, want):
    assert cpu_model(text) == want


def test_machine_info_schema():
    m = machine_info(runtime="fake 1.0")
    assert machine_problems(m) == []
    assert m["runtime"] == "fake 1.0"
    assert m["cores"] >= 1
    assert m["python"].count(".") == 2
    if m["load_average"] is not None:
        assert len(m["load_average"]) == 3 and min(m["load_average"]) >= 0


def test_machine_problems_detects_missing():
    assert machine_problems({"cpu": "x"})
    assert machine_problems("nope")
