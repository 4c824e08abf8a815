"""The single-object correlation-filter tracker: translation filter (context-aware DCF on
multi-channel features) + DSST scale filter + PSR confidence.

Boxes at this interface are OTB-style ``xywh`` (top-left x, y, width, height) float
pixels of the frame; ``SingleTargetFollower`` (single.py) converts to the project's xyxy.

Per frame (``update``):
  1. cut the search window (target size + context padding, times the current scale)
     around the last position, resample it to the feature extractor's patch size;
  2. correlate its features with the filter; the response peak (sub-cell) gives the
     translation, its peak-to-sidelobe ratio the confidence;
  3. the scale filter gives the size change at the new position;
  4. if confident, re-learn both filters there, with context patches (the window shifted
     by the target's size up, down, left, right) as negatives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import ConfigError
from .dcf import ContextAwareFilter, peak, psr, refine_peak, target_window
from .features import FeatureExtractor, make_features
from .scale import ScaleFilter, crop_resize

FEATURE_KINDS = ("auto", "handcrafted", "learned", "hybrid")


@dataclass(frozen=True)
class SotConfig:
    """Single-object tracker settings (YAML section ``sot``).

    Defaults tuned on OTB Crossing only for the learning rates and PSR thresholds; the
    rest follow the papers named in each comment.
    """

    # handcrafted (default: best AUC and speed measured on OTB Crossing, see the report in
    # benchmarks) | learned (the distilled int8 net) | hybrid (net + hand-crafted
    # channels) | auto (hybrid when the feature net exists, else handcrafted)
    features: str = "handcrafted"
    feature_model: str | None = field(default=None, metadata=PATH_META)  # None = bundled net
    num_threads: int = field(default=1, metadata=bounds(1, 8))
    cell_size: int = field(default=4, metadata=bounds(1, 16))         # HOG cell (KCF/DSST: 4)
    template_size: int = field(default=96, metadata=bounds(16, 512))  # sqrt(area) of patch, px
    padding: float = field(default=1.5, metadata=bounds(0.0, 6.0))    # context, x mean(w, h)
    output_sigma_factor: float = field(default=0.0625, metadata=bounds(0.001, 1.0))  # KCF 1/16
    lambda1: float = field(default=1e-3, metadata=bounds(0.0, 10.0))  # ridge
    lambda2: float = field(default=0.5, metadata=bounds(0.0, 100.0))  # context weight (CACF)
    background_weight: float = field(default=0.25, metadata=bounds(0.0, 1.0))  # see dcf
    context_patches: int = field(default=4, metadata=bounds(0, 4))    # 0 = plain DCF
    learning_rate: float = field(default=0.025, metadata=bounds(0.0, 1.0, lo_open=True))
    subcell: str = "fourier"  # peak refinement: fourier (DFT upsampling) | gaussian (3-point)
    scale: bool = True
    n_scales: int = field(default=17, metadata=bounds(3, 65))         # fDSST: 17
    scale_step: float = field(default=1.02, metadata=bounds(1.001, 1.5))
    scale_learning_rate: float = field(default=0.025, metadata=bounds(0.0, 1.0, lo_open=True))
    scale_model_area: float = field(default=512.0, metadata=bounds(64.0, 8192.0))  # DSST: 512
    scale_cell: int = field(default=4, metadata=bounds(1, 16))  # HOG cell of scale samples
    min_size: float = field(default=4.0, metadata=bounds(1.0, 1000.0))  # px, smallest box side
    psr_lost: float = field(default=7.0, metadata=bounds(0.0, 100.0))   # below: target lost
    psr_update: float = field(default=7.0, metadata=bounds(0.0, 100.0))  # below: no learning

    def validate(self, path: str) -> None:
        if self.features not in FEATURE_KINDS:
            raise ConfigError(f"{path}.features" if path else "features",
                              f"must be one of {list(FEATURE_KINDS)}, got {self.features!r}")
        if self.subcell not in ("gaussian", "fourier"):
            raise ConfigError(f"{path}.subcell" if path else "subcell",
                              f"must be one of ['gaussian', 'fourier'], got {self.subcell!r}")
        if self.n_scales % 2 == 0:
            raise ConfigError(f"{path}.n_scales" if path else "n_scales",
                              f"must be odd (the middle sample is the current scale), "
                              f"got {self.n_scales}")


@dataclass(frozen=True)
class SotResult:
    """One frame's estimate. box: (x, y, w, h) float px; psr: confidence; lost: psr < psr_lost."""

    box: tuple[float, float, float, float]
    psr: float
    lost: bool
    scale: float


def default_feature_model() -> str | None:
    """Path of the bundled ``edge_tracker/models/sot_features.tflite``, None if absent."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models",
                        "sot_features.tflite")
    return path if os.path.isfile(path) else None


class CorrelationTracker:
    """Context-aware DCF + DSST scale. ``init(image, box)`` then ``update(image)``.

    image: (H, W, 3) uint8 BGR; box: (x, y, w, h) float pixels.
    """

    def __init__(self, cfg: SotConfig | None = None,
                 features: FeatureExtractor | None = None) -> None:
        cfg = cfg or SotConfig()
        self.cfg = cfg
        if features is None:
            model = cfg.feature_model or default_feature_model()
            features = make_features(cfg.features, cfg.cell_size, cfg.template_size, model,
                                     cfg.num_threads)
        self.features = features
        self.filter: ContextAwareFilter | None = None
        self.scale_filter: ScaleFilter | None = None
        self.cx = self.cy = 0.0
        self.base_w = self.base_h = 1.0   # target size at init
        self.win_w = self.win_h = 1.0     # search window at init (target + context)
        self.scale = 1.0
        self.min_scale = self.max_scale = 1.0
        self.patch_w = self.patch_h = 0
        self.last: SotResult | None = None
        self.train_window: np.ndarray | None = None

    # ---- geometry -------------------------------------------------------------------
    @property
    def box(self) -> tuple[float, float, float, float]:
        w, h = self.base_w * self.scale, self.base_h * self.scale
        return (self.cx - w / 2, self.cy - h / 2, w, h)

    def _features_at(self, image: np.ndarray, cx: float, cy: float,
                     extra_x: int = 0, extra_y: int = 0) -> np.ndarray:
        """Features of the search window around (cx, cy), grown by ``extra_x``/``extra_y``
        feature cells on each side (same sampling density) -> (fh + 2ey, fw + 2ex, C)."""
        cell = self.features.cell
        pw, ph = self.patch_w + 2 * extra_x * cell, self.patch_h + 2 * extra_y * cell
        sx = self.win_w * self.scale / self.patch_w  # image px per patch px
        sy = self.win_h * self.scale / self.patch_h
        patch = crop_resize(image, cx, cy, pw * sx, ph * sy, pw, ph,
                            cv2.INTER_AREA if sx > 1.0 else cv2.INTER_LINEAR)
        return self.features(patch)

    def _learn(self, image: np.ndarray, lr: float | None) -> None:
        f = self.filter
        fh, fw = f.shape
        n_ctx = self.cfg.context_patches
        if n_ctx and getattr(self.features, "convolutional", False):
            # one bigger patch; the target and its context patches (the target shifted by
            # its own size, rounded to whole cells) are crops of its feature map
            cell = self.features.cell
            ox = max(1, round(self.base_w / (self.win_w / self.patch_w * cell)))
            oy = max(1, round(self.base_h / (self.win_h / self.patch_h * cell)))
            big = self._features_at(image, self.cx, self.cy, ox, oy)
            xf = f.transform(big[oy:oy + fh, ox:ox + fw], self.train_window)
            crops = ((oy, 0), (oy, 2 * ox), (0, ox), (2 * oy, ox))[:n_ctx]
            ctx = [f.transform(big[y:y + fh, x:x + fw]) for y, x in crops]
        else:
            xf = f.transform(self._features_at(image, self.cx, self.cy), self.train_window)
            w, h = self.base_w * self.scale, self.base_h * self.scale
            offsets = ((-w, 0.0), (w, 0.0), (0.0, -h), (0.0, h))[:n_ctx]
            ctx = [f.transform(self._features_at(image, self.cx + dx, self.cy + dy))
                   for dx, dy in offsets]
        f.update(xf, ctx, lr)
        if self.scale_filter is not None:
            self.scale_filter.update(image, self.cx, self.cy, self.base_w * self.scale,
                                     self.base_h * self.scale, lr)

    # ---- API ---------------------------------------------------------------------------
    def init(self, image: np.ndarray, box) -> None:
        """Start (or restart) on ``box`` = (x, y, w, h) in ``image``."""
        x, y, w, h = (float(v) for v in box)
        if not (w > 0 and h > 0):
            raise ValueError(f"init box must have positive width and height, got {box!r}")
        c = self.cfg
        self.cx, self.cy = x + w / 2, y + h / 2
        self.base_w, self.base_h = max(w, c.min_size), max(h, c.min_size)
        pad = c.padding * 0.5 * (self.base_w + self.base_h)
        self.win_w, self.win_h = self.base_w + pad, self.base_h + pad
        self.scale = 1.0
        ih, iw = image.shape[:2]
        self.min_scale = c.min_size / min(self.base_w, self.base_h)
        self.max_scale = max(iw / self.base_w, ih / self.base_h)
        self.patch_w, self.patch_h = self.features.patch_size(self.win_w, self.win_h)
        fh, fw = self.patch_h // self.features.cell, self.patch_w // self.features.cell
        # label width: output_sigma_factor * target size in cells (KCF's rule)
        cells_per_px = self.patch_w / self.win_w / self.features.cell
        sigma = np.sqrt(self.base_w * self.base_h) * cells_per_px * c.output_sigma_factor
        self.filter = ContextAwareFilter((fh, fw), max(sigma, 0.25), c.lambda1, c.lambda2,
                                         c.learning_rate)
        self.train_window = target_window(fh, fw, self.base_h * cells_per_px * self.patch_h
                                          / self.patch_w * self.win_w / self.win_h,
                                          self.base_w * cells_per_px, c.background_weight)
        self.scale_filter = ScaleFilter(self.base_w, self.base_h, c.n_scales, c.scale_step,
                                        c.scale_learning_rate, model_area=c.scale_model_area,
                                        cell=c.scale_cell) if c.scale else None
        self._learn(image, 1.0)
        self.last = SotResult(self.box, float("inf"), False, 1.0)

    def recenter(self, image: np.ndarray | None, box, blend: float = 0.5) -> None:
        """Move the target to ``box`` (x, y, w, h), e.g. a detector's re-detection.

        With ``image`` (the frame the box belongs to), the filters are re-learned there with
        learning rate ``blend`` (1.0 = forget the old appearance); without, only the
        position and scale move.
        """
        x, y, w, h = (float(v) for v in box)
        if not (w > 0 and h > 0):
            raise ValueError(f"recenter box must have positive width and height, got {box!r}")
        self.cx, self.cy = x + w / 2, y + h / 2
        self.scale = float(np.clip(np.sqrt(w * h / (self.base_w * self.base_h)),
                                   self.min_scale, self.max_scale))
        if image is not None and self.filter is not None:
            self._learn(image, blend)
        self.last = SotResult(self.box, self.last.psr if self.last else 0.0, False, self.scale)

    def update(self, image: np.ndarray) -> SotResult:
        """Track into ``image``; returns the new box and confidence."""
        if self.filter is None:
            raise RuntimeError("CorrelationTracker.update() before init()")
        c = self.cfg
        zf = self.filter.transform(self._features_at(image, self.cx, self.cy))
        resp = self.filter.response(zf)
        dy, dx, _ = peak(resp)
        if c.subcell == "fourier":
            dy, dx = refine_peak(resp, dy, dx)
        conf = psr(resp, exclude=max(1, round(min(resp.shape) * 0.1)))
        px_per_cell_x = self.win_w * self.scale / self.patch_w * self.features.cell
        px_per_cell_y = self.win_h * self.scale / self.patch_h * self.features.cell
        ih, iw = image.shape[:2]
        self.cx = float(np.clip(self.cx + dx * px_per_cell_x, 0, iw - 1))
        self.cy = float(np.clip(self.cy + dy * px_per_cell_y, 0, ih - 1))
        if self.scale_filter is not None and conf >= c.psr_update:
            ratio = self.scale_filter.estimate(image, self.cx, self.cy, self.base_w * self.scale,
                                               self.base_h * self.scale)
            self.scale = float(np.clip(self.scale * ratio, self.min_scale, self.max_scale))
        if conf >= c.psr_update:
            self._learn(image, None)
        self.last = SotResult(self.box, conf, conf < c.psr_lost, self.scale)
        return self.last
