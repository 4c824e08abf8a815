import io

from edge_tracker.bench.progress import Progress


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_tty():
    out = io.StringIO()
    with Progress(10, "x", stream=out) as p:
        for _ in range(10):
            p.update()
    assert p.enabled is False
    assert out.getvalue() == ""


def test_draws_on_a_tty():
    out = TTY()
    with Progress(4, "bench", stream=out, min_interval_s=0.0) as p:
        for _ in range(4):
            p.update()
    text = out.getvalue()
    assert p.enabled is True
    assert "\rbench [" in text
    assert "4/4" in text
    assert text.endswith("\n")


def test_forced_off_on_a_tty_and_clamped_count():
    out = TTY()
    p = Progress(3, stream=out, enabled=False)
    p.update(10)
    p.close()
    assert p.done == 3
    assert out.getvalue() == ""
