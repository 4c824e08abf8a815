"""DSST-style scale estimation (Danelljan et al., BMVC 2014): a 1-D correlation filter
over a pyramid of target-sized patches.

For S scale factors a^k (k = -(S-1)/2 .. (S-1)/2) the target box (scaled) is cut out,
resized to a fixed model size and described by HOG-lite + grey; each sample is flattened
to a D-vector, giving an (S, D) matrix, Hann-windowed along the scale axis and
Fourier-transformed along it. The filter (numerator (S, D), denominator (S,)) is learned
like the translation filter; the response's peak gives the scale change.
"""

from __future__ import annotations

import cv2
import numpy as np

from .features import hog_lite


def crop_resize(image: np.ndarray, cx: float, cy: float, w: float, h: float,
                out_w: int, out_h: int, interp: int = cv2.INTER_LINEAR) -> np.ndarray:
    """The (w x h) image region centred on (cx, cy) (image px, may leave the frame;
    borders replicated) resampled to (out_h, out_w, ...) with one affine warp."""
    sx = out_w / max(w, 1e-3)
    sy = out_h / max(h, 1e-3)
    # map source pixel centres: u = sx * (x - cx) + out_w/2 - 0.5 (+0.5 px centre convention)
    m = np.array([[sx, 0.0, out_w * 0.5 - sx * cx + 0.5 * sx - 0.5],
                  [0.0, sy, out_h * 0.5 - sy * cy + 0.5 * sy - 0.5]], np.float64)
    return cv2.warpAffine(image, m, (out_w, out_h), flags=interp, borderMode=cv2.BORDER_REPLICATE)


class ScaleFilter:
    """n_scales samples with ratio ``step``; model_area: pixels of the resized sample."""

    def __init__(self, target_w: float, target_h: float, n_scales: int = 17, step: float = 1.03,
                 lr: float = 0.025, lam: float = 1e-2, model_area: float = 512.0,
                 cell: int = 4, sigma_factor: float = 0.25) -> None:
        self.n = int(n_scales)
        self.step = float(step)
        self.lr = np.float32(lr)
        self.lam = np.float32(lam)
        self.cell = int(cell)
        k = np.arange(self.n, dtype=np.float64) - (self.n - 1) / 2.0
        self.factors = self.step ** k                       # (S,) scale ratios, ascending
        f = np.sqrt(model_area / max(target_w * target_h, 1.0))
        self.model_w = max(round(target_w * f / cell), 2) * cell
        self.model_h = max(round(target_h * f / cell), 2) * cell
        # DSST's label: sigma = S * sigma_factor / sqrt(33)  (33 = DSST's default scale count)
        sigma = self.n * sigma_factor / np.sqrt(33.0)
        # label peaks at the middle sample (the current scale), as in DSST, so the
        # response's argmax indexes ``factors`` directly
        self.yf = np.fft.fft(np.exp(-0.5 * (k / sigma) ** 2)).astype(np.complex64)
        self.window = np.hanning(self.n + 2)[1:-1].astype(np.float32)[:, None]
        self.num: np.ndarray | None = None  # (S, D) complex64
        self.den: np.ndarray | None = None  # (S,) float32

    def _samples(self, image: np.ndarray, cx: float, cy: float, w: float, h: float) -> np.ndarray:
        """(S, D) complex64 spectrum of the scale samples around the box."""
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        stack = np.empty((self.n, self.model_h, self.model_w), np.float32)
        for i, s in enumerate(self.factors):
            stack[i] = crop_resize(grey, cx, cy, w * s, h * s, self.model_w, self.model_h,
                                   cv2.INTER_AREA if s > 1.0 else cv2.INTER_LINEAR)
        stack *= np.float32(1 / 255)
        hog = hog_lite(stack, self.cell).reshape(self.n, -1)
        means = stack.reshape(self.n, self.model_h // self.cell, self.cell,
                              self.model_w // self.cell, self.cell).mean(axis=(2, 4))
        x = np.concatenate([hog, means.reshape(self.n, -1) - np.float32(0.5)], axis=1)
        return np.fft.fft(x * self.window, axis=0).astype(np.complex64, copy=False)

    def update(self, image: np.ndarray, cx: float, cy: float, w: float, h: float,
               lr: float | None = None) -> None:
        xf = self._samples(image, cx, cy, w, h)
        num = np.conj(self.yf)[:, None] * xf
        den = np.sum(xf.real ** 2 + xf.imag ** 2, axis=1)
        if self.num is None or lr == 1.0:
            self.num, self.den = num, den
            return
        a = self.lr if lr is None else np.float32(lr)
        self.num = (1 - a) * self.num + a * num
        self.den = (1 - a) * self.den + a * den

    def estimate(self, image: np.ndarray, cx: float, cy: float, w: float, h: float) -> float:
        """Scale ratio (new size / current size) of the target box around (cx, cy)."""
        if self.num is None:
            raise RuntimeError("scale filter used before update()")
        zf = self._samples(image, cx, cy, w, h)
        resp = np.real(np.fft.ifft(np.sum(np.conj(self.num) * zf, axis=1) / (self.den + self.lam)))
        i = int(np.argmax(resp))
        # parabolic refinement in log-scale between neighbouring samples
        if 0 < i < self.n - 1:
            lm, c, rm = resp[i - 1], resp[i], resp[i + 1]
            d = lm - 2 * c + rm
            off = float(np.clip(0.5 * (lm - rm) / d, -0.5, 0.5)) if d < 0 else 0.0
        else:
            off = 0.0
        k = i - (self.n - 1) / 2.0 + off
        return float(self.step ** k)
