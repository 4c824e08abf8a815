"""Scale / crop / mosaic augmentation for distillation batches (NumPy + OpenCV).

Why: a student trained on one clip at one scale learns that scene's person sizes only
(the visionworks plaza downsized 2.8x to 320x192); a person in a 1920x1080 street frame
shrinks 5.6x at the same input. Zooming out / in and mosaics (4 training frames, each
scaled down, in the quadrants of one input) show the student people at all those sizes
and in more varied surroundings. The pseudo-labels (and the teacher feature map of the
feature loss, and a prior channel) are transformed with the frame.

A sample is composed of :class:`Tile` s. Each tile places one cached training frame
(H_in, W_in, C) in the output by the map ``out = s * in + (tx, ty)`` (input pixels,
continuous coordinates, pixel centres at +0.5) and keeps it inside ``rect``
(x0, y0, x1, y1) output pixels. Areas no tile covers get ``FILL``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FILL = 0.5           # grey for uncovered input (images are float32 in [0, 1])
MIN_VISIBLE = 0.5    # a box cut by a tile edge keeps its label if >= half of it is inside


@dataclass(frozen=True)
class Tile:
    c: int                      # clip
    p: int                      # position in the clip
    s: float                    # scale
    tx: float                   # output px
    ty: float
    rect: tuple[int, int, int, int]  # x0, y0, x1, y1 output px (ints)


@dataclass(frozen=True)
class AugmentSettings:
    """p_plain: probability of the unchanged frame; p_mosaic: of a 4-tile mosaic (tile
    scales in ``mosaic_zoom``); otherwise one frame scaled log-uniformly in ``zoom`` and
    placed at a random offset (a crop when zoomed in, grey borders when zoomed out)."""

    p_plain: float = 0.2    # the frame as cached (keeps the home scene's own scale)
    p_mosaic: float = 0.3
    zoom: tuple[float, float] = (0.45, 1.35)
    mosaic_zoom: tuple[float, float] = (0.35, 0.75)


def _offset(rng: np.random.Generator, lo_edge: float, hi_edge: float, scaled: float) -> float:
    """Offset of a ``scaled``-long image so that it covers [lo_edge, hi_edge] when longer,
    or lies inside it when shorter."""
    a, b = hi_edge - scaled, lo_edge
    return float(rng.uniform(min(a, b), max(a, b)))


def plan_tiles(rng: np.random.Generator, refs: list[tuple[int, int]], pick, in_w: int,
               in_h: int, cfg: AugmentSettings) -> list[Tile]:
    """Random tiles of one sample; ``pick(rng) -> index into refs``."""
    u = rng.random()
    if u < cfg.p_plain:
        c, p = refs[pick(rng)]
        return [Tile(c, p, 1.0, 0.0, 0.0, (0, 0, in_w, in_h))]
    if u < cfg.p_plain + cfg.p_mosaic:
        mx = round(rng.uniform(0.3, 0.7) * in_w)
        my = round(rng.uniform(0.3, 0.7) * in_h)
        tiles = []
        for x0, y0, x1, y1 in ((0, 0, mx, my), (mx, 0, in_w, my), (0, my, mx, in_h),
                               (mx, my, in_w, in_h)):
            c, p = refs[pick(rng)]
            need = max((x1 - x0) / in_w, (y1 - y0) / in_h)   # scale that covers the quadrant
            s = max(float(rng.uniform(*cfg.mosaic_zoom)), need)
            tiles.append(Tile(c, p, s, _offset(rng, x0, x1, s * in_w),
                              _offset(rng, y0, y1, s * in_h), (x0, y0, x1, y1)))
        return tiles
    c, p = refs[pick(rng)]
    lo, hi = np.log(cfg.zoom[0]), np.log(cfg.zoom[1])
    s = float(np.exp(rng.uniform(lo, hi)))
    return [Tile(c, p, s, _offset(rng, 0, in_w, s * in_w), _offset(rng, 0, in_h, s * in_h),
                 (0, 0, in_w, in_h))]


def warp_into(canvas: np.ndarray, src: np.ndarray, t: Tile) -> None:
    """Draw ``src`` (H, W, C) float32 into ``canvas`` (H, W, C) inside t.rect (bilinear)."""
    x0, y0, x1, y1 = t.rect
    if x1 <= x0 or y1 <= y0:
        return
    if t.s < 1:  # warpAffine has no area filter: area-resize first, then shift
        h, w = src.shape[:2]
        src = cv2.resize(src, (max(1, round(w * t.s)), max(1, round(h * t.s))),
                         interpolation=cv2.INTER_AREA)
        m = np.array([[1.0, 0.0, t.tx - x0], [0.0, 1.0, t.ty - y0]], np.float64)
    else:  # cv2 maps pixel indices: centre u + 0.5 = s (x + 0.5) + tx
        m = np.array([[t.s, 0.0, t.tx + 0.5 * t.s - 0.5 - x0],
                      [0.0, t.s, t.ty + 0.5 * t.s - 0.5 - y0]], np.float64)
    out = cv2.warpAffine(src, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if out.ndim == 2:
        out = out[:, :, None]
    valid = cv2.warpAffine(np.ones(src.shape[:2], np.float32), m, (x1 - x0, y1 - y0),
                           flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=0)
    region = canvas[y0:y1, x0:x1]
    sel = valid > 0.5
    region[sel] = out[sel]


def warp_boxes(boxes: np.ndarray, scores: np.ndarray, t: Tile,
               min_visible: float = MIN_VISIBLE) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N,4) xyxy input px mapped by tile t, clipped to t.rect; boxes less than
    ``min_visible`` inside (by area) are dropped. Returns (M,4) f32, (M,) f32."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4) * np.float32(t.s)
    b = b + np.asarray([t.tx, t.ty, t.tx, t.ty], np.float32)
    x0, y0, x1, y1 = t.rect
    c = np.stack([np.clip(b[:, 0], x0, x1), np.clip(b[:, 1], y0, y1),
                  np.clip(b[:, 2], x0, x1), np.clip(b[:, 3], y0, y1)], 1)
    area = np.maximum(b[:, 2] - b[:, 0], 0) * np.maximum(b[:, 3] - b[:, 1], 0)
    vis = np.maximum(c[:, 2] - c[:, 0], 0) * np.maximum(c[:, 3] - c[:, 1], 0)
    keep = (area > 0) & (vis >= min_visible * np.maximum(area, 1e-6))
    return c[keep].astype(np.float32), np.asarray(scores, np.float32).reshape(-1)[keep]


def warp_grid(canvas: np.ndarray, feat: np.ndarray, t: Tile, cell: int) -> None:
    """Nearest-neighbour map of a grid feature map ``feat`` (gh, gw, C) (cells of ``cell``
    input px) by tile t into ``canvas`` (gh, gw, C); cells outside t.rect are untouched."""
    gh, gw = canvas.shape[:2]
    uc = (np.arange(gw, dtype=np.float32) + 0.5) * cell
    vc = (np.arange(gh, dtype=np.float32) + 0.5) * cell
    x0, y0, x1, y1 = t.rect
    cols = (uc >= x0) & (uc < x1)
    rows = (vc >= y0) & (vc < y1)
    sj = np.floor((uc - t.tx) / t.s / cell).astype(np.int64)
    si = np.floor((vc - t.ty) / t.s / cell).astype(np.int64)
    cols &= (sj >= 0) & (sj < feat.shape[1])
    rows &= (si >= 0) & (si < feat.shape[0])
    if cols.any() and rows.any():
        canvas[np.ix_(rows, cols)] = feat[np.ix_(si[rows], sj[cols])]


def photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness (gain 0.7..1.3, bias +-0.08), contrast about the mean (0.7..1.3) and a
    mild per-channel colour cast (+-5 %); (H, W, 3) float32 in [0, 1]."""
    m = img.mean(dtype=np.float32)
    c = np.float32(rng.uniform(0.7, 1.3))
    cast = rng.uniform(0.95, 1.05, 3).astype(np.float32)
    out = ((img - m) * c + m) * np.float32(rng.uniform(0.7, 1.3)) * cast
    return np.clip(out + np.float32(rng.uniform(-0.08, 0.08)), 0, 1).astype(np.float32)
