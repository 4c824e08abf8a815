"""Context-aware discriminative correlation filter maths (Fourier domain, float32).

Multi-channel linear filter in the DSST form (Danelljan et al. 2014) with the
context-aware regulariser of Mueller, Smith & Ghanem (CVPR 2017): context patches
around the target are regressed to zero, which enters the closed form as extra energy
in the denominator:

    A_c = conj(Y) * X_c                                     numerator, per channel
    B   = sum_d |X_d|^2 + lambda1 + lambda2 * sum_i sum_d |X^i_d|^2
    response(Z) = irfft2( sum_c conj(A_c) * Z_c / B )

X: target-centred features, X^i: context patches (the target shifted by its size up,
down, left, right), Y: Gaussian label; all (h, w//2+1, C) half spectra (real FFTs).
A and B are running averages over frames (learning rate ``lr``).

Response maps are (h, w) float32 with zero displacement at index [0, 0] (circular).
"""

from __future__ import annotations

import numpy as np


def cosine_window(h: int, w: int) -> np.ndarray:
    """(h, w) float32 Hann window (outer product), applied to features before the FFT."""
    return np.outer(np.hanning(h + 2)[1:-1], np.hanning(w + 2)[1:-1]).astype(np.float32)


def target_window(h: int, w: int, th: float, tw: float, background: float) -> np.ndarray:
    """(h, w) float32 training window: the cosine window times a weight that is 1 on the
    centred target box (th x tw cells, edges tapered over one cell) and ``background``
    outside. Down-weighting the surroundings in the training sample keeps a static
    background from dominating the filter (a cheap stand-in for BACF's spatial
    constraint, Kiani Galoogahi et al. 2017; background = 1 gives the plain window)."""
    def axis(n: int, t: float) -> np.ndarray:
        d = np.abs(np.arange(n, dtype=np.float32) - (n - 1) / 2.0)  # distance from centre
        return np.clip(t / 2.0 + 0.5 - d, 0.0, 1.0)  # 1 inside, linear 1-cell taper
    inside = np.outer(axis(h, th), axis(w, tw))
    return cosine_window(h, w) * (background + (1.0 - background) * inside).astype(np.float32)


def gaussian_label(h: int, w: int, sigma: float) -> np.ndarray:
    """(h, w) float32 Gaussian with its peak 1 at [0, 0] and circular wrap-around."""
    ys = np.fft.fftfreq(h, 1.0 / h).astype(np.float32)  # 0, 1, .., -1
    xs = np.fft.fftfreq(w, 1.0 / w).astype(np.float32)
    d2 = ys[:, None] ** 2 + xs[None, :] ** 2
    return np.exp(-0.5 * d2 / np.float32(sigma) ** 2).astype(np.float32)


def rfft_features(x: np.ndarray) -> np.ndarray:
    """(h, w, C) float32 -> (h, w//2+1, C) complex64 half spectrum over the two spatial axes."""
    return np.fft.rfft2(x, axes=(0, 1)).astype(np.complex64, copy=False)


def _energy(xf: np.ndarray) -> np.ndarray:
    """sum over channels of |X_c|^2: (h, wr, C) complex -> (h, wr) float32."""
    return np.sum(xf.real * xf.real + xf.imag * xf.imag, axis=-1)


class ContextAwareFilter:
    """Running-average multi-channel correlation filter with context negatives.

    shape: (h, w) of the feature map; sigma: label width in feature cells;
    lambda1: ridge regulariser; lambda2: weight of the context patches' energy;
    lr: learning rate of the running average (0..1).
    """

    def __init__(self, shape: tuple[int, int], sigma: float, lambda1: float, lambda2: float,
                 lr: float) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.lambda1 = np.float32(lambda1)
        self.lambda2 = np.float32(lambda2)
        self.lr = np.float32(lr)
        self.window = cosine_window(*self.shape)
        self.yf = np.fft.rfft2(gaussian_label(*self.shape, sigma)).astype(np.complex64)
        self.num: np.ndarray | None = None   # (h, wr, C) complex64
        self.den: np.ndarray | None = None   # (h, wr) float32

    def transform(self, feat: np.ndarray, window: np.ndarray | None = None) -> np.ndarray:
        """(h, w, C) features -> windowed half spectrum (h, wr, C) complex64 (``window``
        (h, w) replaces the cosine window, e.g. a target-weighted one for training)."""
        if feat.shape[:2] != self.shape:
            raise ValueError(f"feature map {feat.shape[:2]} does not match filter {self.shape}")
        win = self.window if window is None else window
        return rfft_features(feat * win[..., None])

    def fit(self, xf: np.ndarray, context_f: list[np.ndarray] | None = None) -> tuple:
        """Closed-form (numerator, denominator) for one frame (see module doc)."""
        num = np.conj(self.yf)[..., None] * xf
        den = _energy(xf) + self.lambda1
        for cf in context_f or ():
            den += self.lambda2 * _energy(cf)
        return num.astype(np.complex64, copy=False), den.astype(np.float32, copy=False)

    def update(self, xf: np.ndarray, context_f: list[np.ndarray] | None = None,
               lr: float | None = None) -> None:
        """Blend this frame's solution into the model (first call initialises it)."""
        num, den = self.fit(xf, context_f)
        if self.num is None or lr == 1.0:
            self.num, self.den = num, den
            return
        a = self.lr if lr is None else np.float32(lr)
        self.num = (1 - a) * self.num + a * num
        self.den = (1 - a) * self.den + a * den

    def response(self, zf: np.ndarray) -> np.ndarray:
        """(h, w) float32 correlation response of search features ``zf`` (peak at the
        target's displacement, index [0, 0] = no motion)."""
        if self.num is None:
            raise RuntimeError("filter used before update()")
        rf = np.sum(np.conj(self.num) * zf, axis=-1) / self.den
        return np.fft.irfft2(rf, s=self.shape).astype(np.float32, copy=False)


def _parabola(lm: float, c: float, rm: float) -> float:
    """Sub-sample offset of the vertex through (-1, lm), (0, c), (1, rm): a Gaussian fit
    (parabola on the logarithms; exact for the Gaussian-shaped peaks a correlation filter
    trained on a Gaussian label gives) when all three are positive, else a parabola."""
    if lm > 0 and c > 0 and rm > 0:
        lm, c, rm = np.log(lm), np.log(c), np.log(rm)
    d = lm - 2.0 * c + rm
    if d >= 0:  # not a maximum
        return 0.0
    return float(np.clip(0.5 * (lm - rm) / d, -0.5, 0.5))


def peak(resp: np.ndarray) -> tuple[float, float, float]:
    """(dy, dx, value): the response maximum as a signed circular displacement in cells,
    refined to sub-cell accuracy with a parabola along each axis."""
    h, w = resp.shape
    i = int(np.argmax(resp))
    py, px = divmod(i, w)
    v = float(resp[py, px])
    oy = _parabola(float(resp[(py - 1) % h, px]), v, float(resp[(py + 1) % h, px]))
    ox = _parabola(float(resp[py, (px - 1) % w]), v, float(resp[py, (px + 1) % w]))
    dy = py + oy
    dx = px + ox
    if dy > h / 2:
        dy -= h
    if dx > w / 2:
        dx -= w
    return dy, dx, v


def refine_peak(resp: np.ndarray, dy: float, dx: float, upsample: int = 10
                ) -> tuple[float, float]:
    """Sub-cell peak from the response's Fourier series (its band-limited interpolation),
    evaluated on a grid of step 1/upsample cell over +-0.6 cell around (dy, dx) with two
    small matrix products (the matrix-multiply DFT of Guizar-Sicairos et al. 2008), then a
    parabola on that fine grid. Returns (dy, dx) in cells."""
    h, w = resp.shape
    rf = np.fft.fft2(resp) / np.float32(h * w)                      # (h, w) complex
    off = np.arange(-6, 7, dtype=np.float32) * np.float32(6.0 / (6 * upsample))  # +-0.6 cell
    ky = (2j * np.pi * np.fft.fftfreq(h)).astype(np.complex64)
    kx = (2j * np.pi * np.fft.fftfreq(w)).astype(np.complex64)
    ey = np.exp(np.outer(dy + off, ky))                             # (13, h)
    ex = np.exp(np.outer(kx, dx + off))                             # (w, 13)
    fine = np.real(ey @ rf @ ex)                                    # (13, 13)
    iy, ix = divmod(int(np.argmax(fine)), fine.shape[1])
    step = float(off[1] - off[0])
    fy = float(off[iy])
    fx = float(off[ix])
    if 0 < iy < len(off) - 1:
        d = fine[iy - 1, ix] - 2 * fine[iy, ix] + fine[iy + 1, ix]
        if d < 0:
            fy += step * float(np.clip(0.5 * (fine[iy - 1, ix] - fine[iy + 1, ix]) / d, -.5, .5))
    if 0 < ix < len(off) - 1:
        d = fine[iy, ix - 1] - 2 * fine[iy, ix] + fine[iy, ix + 1]
        if d < 0:
            fx += step * float(np.clip(0.5 * (fine[iy, ix - 1] - fine[iy, ix + 1]) / d, -.5, .5))
    return float(dy) + fy, float(dx) + fx


def psr(resp: np.ndarray, exclude: int = 5) -> float:
    """Peak-to-sidelobe ratio (Bolme et al. 2010): (peak - mean(sidelobe)) / std(sidelobe),
    the sidelobe being the map without a (2*exclude+1)^2 window around the peak (circular)."""
    h, w = resp.shape
    py, px = divmod(int(np.argmax(resp)), w)
    mask = np.ones((h, w), bool)
    ys = (np.arange(py - exclude, py + exclude + 1) % h)
    xs = (np.arange(px - exclude, px + exclude + 1) % w)
    mask[np.ix_(ys, xs)] = False
    side = resp[mask]
    if side.size < 2:
        return 0.0
    sd = float(side.std())
    return float((resp[py, px] - side.mean()) / max(sd, 1e-6))


def apce(resp: np.ndarray) -> float:
    """Average peak-to-correlation energy (Wang et al. 2017): |max-min|^2 / mean((r-min)^2)."""
    lo = float(resp.min())
    hi = float(resp.max())
    return (hi - lo) ** 2 / max(float(np.mean((resp - lo) ** 2)), 1e-12)
