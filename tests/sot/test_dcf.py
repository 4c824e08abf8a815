"""Correlation-filter maths: windows, labels, closed form, peak, PSR/APCE."""

from __future__ import annotations

import numpy as np
import pytest

from edge_tracker.sot.dcf import (
    ContextAwareFilter,
    apce,
    cosine_window,
    gaussian_label,
    peak,
    psr,
    refine_peak,
    rfft_features,
    target_window,
)


def test_cosine_window_shape_peak_and_symmetry():
    w = cosine_window(5, 7)
    assert w.shape == (5, 7) and w.dtype == np.float32
    assert w[2, 3] == pytest.approx(1.0)
    np.testing.assert_allclose(w, w[::-1, ::-1], atol=1e-7)
    assert np.all(w > 0)  # hanning(n+2)[1:-1]: no zero rows that would kill features


def test_gaussian_label_peak_at_origin_and_wraps():
    y = gaussian_label(8, 6, sigma=1.0)
    assert y[0, 0] == pytest.approx(1.0)
    assert y[1, 0] == pytest.approx(np.exp(-0.5))
    assert y[-1, 0] == pytest.approx(np.exp(-0.5))   # circular: index -1 is distance 1
    assert y[0, 3] == pytest.approx(np.exp(-4.5))    # w=6: index 3 is distance 3 (Nyquist)


def test_target_window_weights():
    w = target_window(9, 9, th=3.0, tw=3.0, background=0.0)
    cos = cosine_window(9, 9)
    assert w[4, 4] == pytest.approx(cos[4, 4])       # inside the target: unchanged
    assert w[0, 0] == 0.0                             # far background: weight 0
    np.testing.assert_allclose(target_window(9, 9, 3.0, 3.0, 1.0), cos)


@pytest.mark.parametrize("shift", [(0, 0), (2, -3), (-4, 5), (7, 1)])
def test_filter_finds_circular_shift(shift):
    """A filter trained on random features finds an exact circular shift of them."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 20, 6)).astype(np.float32)
    f = ContextAwareFilter((24, 20), sigma=1.0, lambda1=1e-3, lambda2=0.5, lr=0.1)
    f.window = np.ones((24, 20), np.float32)  # exact circular shift: no window
    f.update(f.transform(x))
    z = np.roll(x, shift, axis=(0, 1))
    dy, dx, v = peak(f.response(f.transform(z)))
    assert (round(dy), round(dx)) == shift
    assert v == pytest.approx(1.0, abs=0.05)  # the label's peak height


def test_context_energy_enters_denominator():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 8, 2)).astype(np.float32)
    c = rng.standard_normal((8, 8, 2)).astype(np.float32)
    f = ContextAwareFilter((8, 8), sigma=1.0, lambda1=0.1, lambda2=2.0, lr=0.1)
    xf, cf = rfft_features(x), rfft_features(c)
    _, den0 = f.fit(xf)
    _, den1 = f.fit(xf, [cf])
    expected = 2.0 * np.sum(np.abs(cf) ** 2, axis=-1)
    np.testing.assert_allclose(den1 - den0, expected, rtol=1e-4)


def test_running_average_update():
    f = ContextAwareFilter((4, 4), sigma=1.0, lambda1=0.0, lambda2=0.0, lr=0.25)
    a = rfft_features(np.ones((4, 4, 1), np.float32))
    b = rfft_features(np.full((4, 4, 1), 3.0, np.float32))
    f.update(a)
    f.update(b)
    # den = 0.75 |A|^2 + 0.25 |B|^2 at DC: 0.75 * 16^2 + 0.25 * 48^2
    assert f.den[0, 0] == pytest.approx(0.75 * 256 + 0.25 * 2304)


def test_response_before_update_raises():
    f = ContextAwareFilter((4, 4), 1.0, 0.0, 0.0, 0.1)
    with pytest.raises(RuntimeError):
        f.response(np.zeros((4, 3, 1), np.complex64))


def test_transform_rejects_wrong_shape():
    f = ContextAwareFilter((4, 4), 1.0, 0.0, 0.0, 0.1)
    with pytest.raises(ValueError, match="does not match"):
        f.transform(np.zeros((5, 4, 1), np.float32))


@pytest.mark.parametrize("true", [(0.0, 0.0), (0.3, -0.4), (-2.25, 1.5), (3.5, -5.2)])
def test_subcell_peak_of_a_shifted_gaussian(true):
    """Peak of a band-limited Gaussian placed at a sub-cell position: the parabola gets
    within 0.2 cell, the Fourier refinement within 0.05 cell."""
    h, w = 24, 20
    ys = np.fft.fftfreq(h, 1 / h)[:, None]
    xs = np.fft.fftfreq(w, 1 / w)[None, :]
    dy = (ys - true[0] + h / 2) % h - h / 2
    dx = (xs - true[1] + w / 2) % w - w / 2
    r = np.exp(-0.5 * (dy ** 2 + dx ** 2) / 1.5 ** 2).astype(np.float32)
    py, px, _ = peak(r)
    assert abs(py - true[0]) < 0.2 and abs(px - true[1]) < 0.2
    fy, fx = refine_peak(r, py, px)
    assert abs(fy - true[0]) < 0.05 and abs(fx - true[1]) < 0.05


def test_psr_hand_computed():
    """5x5 map, peak 10 at the centre, exclusion 1 (3x3): sidelobe = 16 values, half 0 and
    half 2 -> mean 1, std 1 -> PSR = (10 - 1) / 1 = 9."""
    r = np.zeros((5, 5), np.float32)
    ring = [(0, c) for c in range(5)] + [(4, c) for c in range(5)] + \
           [(1, 0), (2, 0), (3, 0), (1, 4), (2, 4), (3, 4)]
    for k, (y, x) in enumerate(ring):
        r[y, x] = 2.0 if k % 2 else 0.0
    r[2, 2] = 10.0
    assert psr(r, exclude=1) == pytest.approx(9.0)


def test_psr_flat_map_is_zero_not_nan():
    assert psr(np.zeros((6, 6), np.float32), exclude=1) == 0.0


def test_apce_hand_computed():
    r = np.zeros((2, 2), np.float32)
    r[0, 0] = 2.0
    # (2-0)^2 / mean([4, 0, 0, 0]) = 4 / 1 = 4
    assert apce(r) == pytest.approx(4.0)
