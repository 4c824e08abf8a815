"""Feature extractors for the correlation-filter tracker.

An extractor maps an image patch to a multi-channel feature map:

    patch (H, W, 3) uint8 BGR  ->  features (H // cell, W // cell, C) float32

``HandcraftedFeatures`` (no model needed): a HOG-lite orientation histogram (9 unsigned
bins, 2x2-block energy normalisation, clipped at 0.2 as in Dalal & Triggs), the cell-mean
grey level and two opponent-colour channels (YCrCb chroma). ``LearnedFeatures`` runs the
compact int8 network trained by ``edge-tracker distill --task sot`` through LiteRT.

``hog_lite`` also accepts a batch of grey patches ``(N, H, W)`` (the scale filter uses it).
"""

from __future__ import annotations

import os
from typing import Protocol

import cv2
import numpy as np

from ..errors import ModelError

N_ORIENT = 9  # unsigned orientation bins over [0, pi): Dalal & Triggs' choice
HOG_CLIP = 0.2  # Dalal & Triggs' L2-Hys clipping value
_EPS = np.float32(1e-4)


class FeatureExtractor(Protocol):
    """What the tracker needs from a feature extractor."""

    name: str
    cell: int       # feature stride in patch pixels
    # optional attribute ``convolutional`` (bool): any patch size allowed, so the tracker
    # may cut the target and context feature maps from one bigger patch
    channels: int   # C

    def patch_size(self, window_w: float, window_h: float) -> tuple[int, int]:
        """(pw, ph) patch size in pixels for a search window of the given size (image px)."""

    def __call__(self, patch: np.ndarray) -> np.ndarray:
        """(ph, pw, 3) uint8 BGR -> (ph // cell, pw // cell, C) float32."""


_CELL_INDEX: dict = {}
# floor(angle * 9 / pi - 0.5) + 1 in [0, 18] (+1 for the upper neighbour) -> bin in 0..8
_BIN_LUT = (np.arange(-1, 20) % N_ORIENT).astype(np.intp)


def _cell_index(n: int, h: int, w: int, cell: int) -> np.ndarray:
    """(n*h*w,) intp: for each pixel, 9 * (flat index of its cell); cached per shape."""
    key = (n, h, w, cell)
    idx = _CELL_INDEX.get(key)
    if idx is None:
        hc, wc = h // cell, w // cell
        ys = np.minimum(np.arange(h) // cell, hc - 1)
        xs = np.minimum(np.arange(w) // cell, wc - 1)
        per = (ys[:, None] * wc + xs[None, :]).reshape(-1)
        idx = ((np.arange(n)[:, None] * (hc * wc) + per[None, :]).reshape(-1) * N_ORIENT)
        if len(_CELL_INDEX) > 64:  # bounded: shapes change only at (re)initialisation
            _CELL_INDEX.clear()
        _CELL_INDEX[key] = idx.astype(np.intp)
        idx = _CELL_INDEX[key]
    return idx


def hog_lite(grey: np.ndarray, cell: int) -> np.ndarray:
    """Orientation histograms per cell.

    grey: (H, W) or (N, H, W) float32, H and W multiples of ``cell``.
    Returns (H/cell, W/cell, 9) or (N, H/cell, W/cell, 9) float32, block-normalised.
    """
    g = grey if grey.ndim == 3 else grey[None]
    n, h, w = g.shape
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    np.subtract(g[:, :, 2:], g[:, :, :-2], out=gx[:, :, 1:-1])  # centred [-1, 0, 1] (HOG paper)
    np.subtract(g[:, 2:, :], g[:, :-2, :], out=gy[:, 1:-1, :])
    mag, ang = cv2.cartToPolar(gx.reshape(n * h, w), gy.reshape(n * h, w))  # ang in [0, 2pi)
    # unsigned orientation in bin units: angle mod pi -> [0, 9); bin k's centre at k + 0.5.
    # pos in [-0.5, 18): floor(pos) in [-1, 17] -> bins through a lookup table (no modulo)
    pos = ang.reshape(-1) * np.float32(N_ORIENT / np.pi) - np.float32(0.5)
    lo_f = np.floor(pos)
    frac = pos - lo_f
    k = lo_f.astype(np.intp) + 1
    lo = _BIN_LUT[k]
    hi = _BIN_LUT[k + 1]
    m = mag.reshape(-1)
    w_hi = m * frac
    hc, wc = h // cell, w // cell
    base = _cell_index(n, h, w, cell)  # (n*h*w,) flat cell index * 9
    size = n * hc * wc * N_ORIENT
    # soft assignment to the two nearest orientation bins, summed per cell in one pass each
    hist = np.bincount(base + lo, weights=m - w_hi, minlength=size)
    hist += np.bincount(base + hi, weights=w_hi, minlength=size)
    hist = hist.astype(np.float32).reshape(n, hc, wc, N_ORIENT)
    # block normalisation: each cell divided by the L2 energy of its 2x2 neighbourhood
    energy = np.sum(hist * hist, axis=-1)
    block = energy.copy()                     # edge-replicated 2x2 neighbourhood sum
    block[:, :-1] += energy[:, 1:]
    block[:, -1] += energy[:, -1]
    col = block.copy()
    block[:, :, :-1] += col[:, :, 1:]
    block[:, :, -1] += col[:, :, -1]
    hist /= np.sqrt(block * np.float32(0.25) + _EPS)[..., None]
    np.minimum(hist, HOG_CLIP * 2.0, out=hist)
    return hist if grey.ndim == 3 else hist[0]


def _cell_mean(x: np.ndarray, cell: int) -> np.ndarray:
    """(H, W, K) -> (H/cell, W/cell, K) mean over each cell."""
    h, w, k = x.shape
    # INTER_AREA at an integer factor is exactly the cell mean (and much faster than reshape)
    out = cv2.resize(x, (w // cell, h // cell), interpolation=cv2.INTER_AREA)
    return out.reshape(h // cell, w // cell, k)


class HandcraftedFeatures:
    """HOG-lite (9) + luma (1) + YCrCb Cr, Cb (2) = 12
    channels, stride ``cell``.

    template_size: side of the square with the patch's area, in pixels (the search
    window is resized to about this area, keeping its aspect ratio).
    """

    name = "handcrafted"
    convolutional = True  # features of a bigger patch = bigger map (context crops allowed)

    def __init__(self, cell: int = 4, template_size: int = 96, colour: bool = True) -> None:
        self.cell = int(cell)
        self.template_size = int(template_size)
        self.colour = bool(colour)
        self.channels = N_ORIENT + 1 + (2 if colour else 0)

    def patch_size(self, window_w: float, window_h: float) -> tuple[int, int]:
        f = self.template_size / np.sqrt(max(window_w * window_h, 1.0))
        pw = max(round(window_w * f / self.cell), 4) * self.cell
        ph = max(round(window_h * f / self.cell), 4) * self.cell
        return pw, ph

    def __call__(self, patch: np.ndarray) -> np.ndarray:
        if not self.colour:
            grey = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY).astype(np.float32)
            grey *= np.float32(1 / 255)
            return np.concatenate([hog_lite(grey, self.cell),
                                   _cell_mean(grey[..., None], self.cell) - np.float32(0.5)],
                                  axis=-1)
        # YCrCb: luma (the grey level, BT.601) + two opponent-colour channels, a linear map
        # (Lab's cube root costs ~10x more here for the same tracking accuracy on Crossing)
        ycc = cv2.cvtColor(patch, cv2.COLOR_BGR2YCrCb).astype(np.float32)
        ycc *= np.float32(1 / 255)
        hog = hog_lite(np.ascontiguousarray(ycc[..., 0]), self.cell)
        pooled = _cell_mean(ycc, self.cell) - np.float32(0.5)  # chroma offset 128 -> 0
        pooled[..., 1:] *= np.float32(2.0)  # chroma spans about half of luma's range
        return np.concatenate([hog, pooled], axis=-1)


class LearnedFeatures:
    """The distilled int8 feature network (``edge_tracker/models/sot_features.tflite``).

    The network is fully convolutional (stride ``cell``): trained at (1, S, S, 3) but run
    at any patch size that is a multiple of the stride, through one interpreter per input
    shape (``resize_tensor_input``; a tracker needs two: the search patch and the larger
    learning patch with its context). Input RGB, x_float = (x - mean) * scale (metadata);
    output (1, H/stride, W/stride, C) times ``feature_scale`` (1 / RMS on the training
    patches, so the filter's regulariser sees unit-scale features).

    hybrid=True appends the hand-crafted channels (same cell grid) to the learned ones.
    """

    convolutional = True
    MAX_SHAPES = 8  # interpreters kept (shapes change only when a tracker (re)starts)

    def __init__(self, path: str, num_threads: int = 1, template_size: int = 96,
                 hybrid: bool = False) -> None:
        from ..runtime.interpreter import load_model  # lazy: LiteRT import cost

        self.path = path
        self.num_threads = num_threads
        self._load = load_model
        self.model = load_model(path, num_threads=num_threads)
        shape = self.model.input.shape
        if len(shape) != 4 or shape[3] != 3:
            raise ModelError(f"{path}: SOT feature model needs a (1,H,W,3) input, got "
                             f"{list(shape)}")
        out = self.model.outputs[0].shape
        if len(out) != 4 or out[1] < 1:
            raise ModelError(f"{path}: SOT feature model needs a (1,h,w,C) output, got "
                             f"{list(out)}")
        meta = self.model.metadata
        self.cell = int(meta.get("stride", shape[1] // out[1]))
        self.template_size = int(template_size)
        self.hybrid = HandcraftedFeatures(self.cell, template_size) if hybrid else None
        self.channels = int(out[3]) + (self.hybrid.channels if self.hybrid else 0)
        self.rgb = meta.get("channels", "rgb") == "rgb"
        self.mean = np.asarray(meta.get("mean", [0.0, 0.0, 0.0]), np.float32)
        self.scale = np.asarray(meta.get("scale", [1 / 255.0] * 3), np.float32)
        self.out_scale = np.float32(meta.get("feature_scale", 1.0))
        self.name = ("hybrid:" if hybrid else "learned:") + os.path.basename(path)
        self._models = {tuple(shape[1:3]): self.model}

    def patch_size(self, window_w: float, window_h: float) -> tuple[int, int]:
        f = self.template_size / np.sqrt(max(window_w * window_h, 1.0))
        pw = max(round(window_w * f / self.cell), 4) * self.cell
        ph = max(round(window_h * f / self.cell), 4) * self.cell
        return pw, ph

    def _model_for(self, h: int, w: int):
        m = self._models.get((h, w))
        if m is None:
            if len(self._models) >= self.MAX_SHAPES:
                self._models.clear()
            m = self._load(self.path, num_threads=self.num_threads)
            it = m.interpreter
            it.resize_tensor_input(m.input.index, [1, h, w, 3], strict=False)
            it.allocate_tensors()
            from ..runtime.interpreter import _tensor_info

            m.inputs = [_tensor_info(d) for d in it.get_input_details()]
            m.outputs = [_tensor_info(d) for d in it.get_output_details()]
            self._models[(h, w)] = m
        return m

    def __call__(self, patch: np.ndarray) -> np.ndarray:
        h, w = patch.shape[:2]
        m = self._model_for(h, w)
        x = patch[..., ::-1] if self.rgb else patch
        x = (x.astype(np.float32) - self.mean) * self.scale
        feat = m.run(m.quantize_input(x[None]))[0][0].astype(np.float32) * self.out_scale
        if feat.shape[:2] != (h // self.cell, w // self.cell):
            raise ModelError(f"{self.path}: output {feat.shape[:2]} for a {h}x{w} patch; "
                             f"expected stride {self.cell}")
        if self.hybrid is not None:
            feat = np.concatenate([feat, self.hybrid(patch)], axis=-1)
        return feat


def make_features(kind: str, cell: int, template_size: int, model: str | None,
                  num_threads: int = 1) -> FeatureExtractor:
    """``handcrafted``; ``learned`` / ``hybrid`` (learned + hand-crafted channels; both
    need ``model``); ``auto`` = hybrid when the model file exists, else handcrafted."""
    if kind == "handcrafted" or (kind == "auto" and (not model or not os.path.isfile(model))):
        return HandcraftedFeatures(cell=cell, template_size=template_size)
    if not model:
        raise ModelError(f"features '{kind}' need a feature model path")
    return LearnedFeatures(model, num_threads=num_threads, template_size=template_size,
                           hybrid=kind in ("hybrid", "auto"))
