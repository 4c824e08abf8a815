"""Batched constant-velocity Kalman filter for boxes (model matrices only).

The filter holds no track state: callers pass ``mean (K, 8)`` and ``cov (K, 8, 8)``
in and get new arrays out, so a tracker can keep all its tracks in arrays and
predict them in one call.

State layouts (the measurement is the first four entries):

- ``xyah`` (ByteTrack / DeepSORT): centre x, centre y, aspect a = w / h, height h,
  then their velocities;
- ``xywh`` (BoT-SORT): centre x, centre y, width w, height h, then velocities.

Velocities are in units **per second**, and ``predict`` takes ``dt`` in seconds,
so frames skipped in time (a slow detector, dropped frames) are extrapolated
correctly. Noise follows ByteTrack's ``kalman_filter.py``: standard deviations
proportional to the box size with weights 1/20 (position) and 1/160 (velocity),
defined per reference interval ``dt_ref`` (one frame at 30 fps); process noise
is a random walk, so its variance grows linearly with ``dt / dt_ref``.

Two covariance forms:

- full ``cov (K, 8, 8)``: :meth:`KalmanFilter.predict` / :meth:`KalmanFilter.update`,
  general matrix algebra (the reference);
- compact ``cc (K, 12)`` = [var(pos) (4), cov(pos, vel) (4), var(vel) (4)]:
  :meth:`KalmanFilter.predict_compact` / :meth:`KalmanFilter.update_compact`. With
  diagonal initial, process and measurement noise and H picking positions, the four
  coordinates never couple, so the full covariance only ever has these 12 non-zero
  entries (plus symmetry) and the compact steps give the same numbers with ~15
  elementwise operations instead of batched 8x8 products and 4x4 solves. The tracker
  uses the compact form (its hot path); :func:`compact_to_full` / :func:`full_to_compact`
  convert.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

DTYPE = np.float32


def xyxy_to_measurement(boxes: np.ndarray, layout: str) -> np.ndarray:
    """(N, 4) xyxy boxes -> (N, 4) float32 measurements in ``layout`` (xyah or xywh)."""
    boxes = np.asarray(boxes, dtype=DTYPE).reshape(-1, 4)
    wh = boxes[:, 2:] - boxes[:, :2]
    out = np.concatenate([boxes[:, :2] + 0.5 * wh, wh], axis=1)
    if layout == "xyah":
        out[:, 2] /= np.maximum(out[:, 3], 1e-6)
    return out


def measurement_to_xyxy(meas: np.ndarray, layout: str) -> np.ndarray:
    """(N, >=4) states or measurements in ``layout`` -> (N, 4) float32 xyxy boxes."""
    meas = np.asarray(meas, dtype=DTYPE)
    half = 0.5 * meas[:, 2:4]
    if layout == "xyah":
        half[:, 0] *= meas[:, 3]
    return np.concatenate([meas[:, :2] - half, meas[:, :2] + half], axis=1)


_I4 = np.arange(4)


def compact_to_full(cc: np.ndarray) -> np.ndarray:
    """(K, 12) compact covariance -> (K, 8, 8) full covariance."""
    cc = np.asarray(cc, dtype=DTYPE).reshape(-1, 12)
    cov = np.zeros((cc.shape[0], 8, 8), dtype=DTYPE)
    cov[:, _I4, _I4] = cc[:, 0:4]
    cov[:, _I4, _I4 + 4] = cc[:, 4:8]
    cov[:, _I4 + 4, _I4] = cc[:, 4:8]
    cov[:, _I4 + 4, _I4 + 4] = cc[:, 8:12]
    return cov


def full_to_compact(cov: np.ndarray) -> np.ndarray:
    """(K, 8, 8) full covariance -> (K, 12) compact (drops cross-coordinate terms)."""
    cov = np.asarray(cov, dtype=DTYPE).reshape(-1, 8, 8)
    return np.concatenate([cov[:, _I4, _I4], cov[:, _I4, _I4 + 4], cov[:, _I4 + 4, _I4 + 4]],
                          axis=1)


class KalmanFilter:
    """Constant-velocity model for K boxes at once.

    layout: ``xyah`` or ``xywh`` (see module doc).
    std_weight_position / std_weight_velocity: noise standard deviation as a
        fraction of the box size (height, or width for x/w in ``xywh``), per
        ``dt_ref`` seconds. ByteTrack's defaults are 1/20 and 1/160 at one frame.
    dt_ref: the reference interval in seconds the weights are defined for.
    """

    def __init__(self, layout: Literal["xyah", "xywh"] = "xywh",
                 std_weight_position: float = 1.0 / 20, std_weight_velocity: float = 1.0 / 160,
                 dt_ref: float = 1.0 / 30) -> None:
        if layout not in ("xyah", "xywh"):
            raise ValueError(f"KalmanFilter layout must be 'xyah' or 'xywh', got {layout!r}")
        if dt_ref <= 0:
            raise ValueError(f"KalmanFilter dt_ref must be > 0, got {dt_ref}")
        self.layout = layout
        self.w_pos = float(std_weight_position)
        self.w_vel = float(std_weight_velocity)
        self.dt_ref = float(dt_ref)
        # Measurement matrix H (4, 8): picks the first four state entries.
        self.H = np.eye(4, 8, dtype=DTYPE)
        # Which state entry gives the size each std scales with (w for x/w in xywh, else h).
        self._size_idx = np.array([2, 3, 2, 3] * 2 if layout == "xywh" else [3] * 8)
        wp, wv = self.w_pos, self.w_vel / self.dt_ref   # velocity stds in px/s
        self._w_init = np.array([2 * wp] * 4 + [10 * wv] * 4, dtype=DTYPE)
        self._w_proc = np.array([wp] * 4 + [wv] * 4, dtype=DTYPE)
        self._w_meas = np.array([wp] * 4, dtype=DTYPE)

    # -- noise models --------------------------------------------------------------------
    def _std(self, mean: np.ndarray, w: np.ndarray, floor: tuple[float, float]) -> np.ndarray:
        """(K, len(w)) standard deviations: box size (width for x/w in xywh, else height)
        times the weights ``w``; xyah's aspect entries get the constant ``floor``
        (ByteTrack: 1e-2 position / 1e-5 velocity at init and predict, 1e-1 measurement)."""
        n = w.shape[0]
        std = mean[:, self._size_idx[:n]] * w
        if self.layout == "xyah":
            std[:, 2] = floor[0]
            if n == 8:
                std[:, 6] = floor[1]
        return std

    def initiate(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New tracks from (K, 4) measurements -> mean (K, 8) f32, cov (K, 8, 8) f32.

        Velocities start at 0 with a wide std (10x the velocity weight per dt_ref).
        """
        z = np.asarray(measurement, dtype=DTYPE).reshape(-1, 4)
        k = z.shape[0]
        mean = np.zeros((k, 8), dtype=DTYPE)
        mean[:, :4] = z
        var = self._std(mean, self._w_init, (1e-2, 1e-5 / self.dt_ref)) ** 2
        cov = np.zeros((k, 8, 8), dtype=DTYPE)
        idx = np.arange(8)
        cov[:, idx, idx] = var
        return mean, cov

    def process_noise(self, mean: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
        """(K, 8) diagonal process-noise variances for a step of ``dt`` seconds."""
        std = self._std(mean, self._w_proc, (1e-2, 1e-5 / self.dt_ref))
        ratio = np.abs(np.asarray(dt, dtype=DTYPE)).reshape(-1, 1) * DTYPE(1.0 / self.dt_ref)
        return std * std * ratio

    def measurement_noise(self, mean: np.ndarray) -> np.ndarray:
        """(K, 4) diagonal measurement-noise variances (mean (K, >=4))."""
        std = self._std(mean, self._w_meas, (1e-1, 0.0))
        return std * std

    # -- filter steps ---------------------------------------------------------------------
    def predict(self, mean: np.ndarray, cov: np.ndarray,
                dt: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance K tracks by ``dt`` seconds (scalar or (K,)).

        mean (K, 8), cov (K, 8, 8) -> new mean (K, 8), cov (K, 8, 8) (float32).
        x' = F x, P' = F P F^T + Q with F = [[I, dt I], [0, I]].
        """
        mean = np.asarray(mean, dtype=DTYPE)
        cov = np.asarray(cov, dtype=DTYPE)
        if mean.shape[0] == 0:
            return mean.copy(), cov.copy()
        dtv = np.asarray(dt, dtype=DTYPE).reshape(-1, 1)
        new_mean = mean.copy()
        new_mean[:, :4] += dtv * mean[:, 4:]
        # F P F^T by blocks (A pos-pos, B pos-vel, C vel-vel), cheaper than two matmuls:
        # A' = A + dt (B + B^T) + dt^2 C;  B' = B + dt C;  C' = C.
        d3 = dtv.reshape(-1, 1, 1)
        a = cov[:, :4, :4]
        b = cov[:, :4, 4:]
        c = cov[:, 4:, 4:]
        bc = b + d3 * c
        new_cov = np.empty_like(cov)
        new_cov[:, :4, :4] = a + d3 * (b + np.swapaxes(b, 1, 2)) + (d3 * d3) * c
        new_cov[:, :4, 4:] = bc
        new_cov[:, 4:, :4] = np.swapaxes(bc, 1, 2)
        new_cov[:, 4:, 4:] = c
        q = self.process_noise(new_mean, dtv.reshape(-1))
        idx = np.arange(8)
        new_cov[:, idx, idx] += q
        return new_mean, new_cov

    def project(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measurement-space mean (K, 4) and innovation covariance S (K, 4, 4)."""
        s = cov[:, :4, :4].copy()
        idx = np.arange(4)
        s[:, idx, idx] += self.measurement_noise(mean)
        return mean[:, :4], s

    def update(self, mean: np.ndarray, cov: np.ndarray,
               measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Correct K tracks with K measurements (row i updates track i).

        mean (K, 8), cov (K, 8, 8), measurement (K, 4) in the filter's layout ->
        new mean (K, 8), cov (K, 8, 8) float32.
        """
        mean = np.asarray(mean, dtype=DTYPE)
        cov = np.asarray(cov, dtype=DTYPE)
        z = np.asarray(measurement, dtype=DTYPE).reshape(-1, 4)
        if mean.shape[0] == 0:
            return mean.copy(), cov.copy()
        proj_mean, s = self.project(mean, cov)
        pht = cov[:, :, :4]                                   # P H^T (K, 8, 4)
        # Gain K = P H^T S^-1, solved as S K^T = H P (S symmetric).
        gain = np.swapaxes(np.linalg.solve(s, np.swapaxes(pht, 1, 2)), 1, 2)  # (K, 8, 4)
        innov = z - proj_mean
        new_mean = mean + np.einsum("kij,kj->ki", gain, innov)
        new_cov = cov - gain @ np.swapaxes(pht, 1, 2)        # P - K H P
        return new_mean.astype(DTYPE, copy=False), new_cov.astype(DTYPE, copy=False)

    def gating_distance(self, mean: np.ndarray, cov: np.ndarray,
                        measurements: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distances (K, N) of N measurements (N, 4) to K tracks."""
        k = mean.shape[0]
        n = np.asarray(measurements).reshape(-1, 4).shape[0]
        if k == 0 or n == 0:
            return np.zeros((k, n), dtype=DTYPE)
        proj_mean, s = self.project(mean, cov)
        d = np.asarray(measurements, dtype=DTYPE)[None, :, :] - proj_mean[:, None, :]  # (K,N,4)
        sol = np.linalg.solve(s, np.swapaxes(d, 1, 2))        # (K, 4, N)
        return np.einsum("knj,kjn->kn", d, sol).astype(DTYPE, copy=False)

    # -- compact covariance (the tracker's hot path) ------------------------------------
    def initiate_compact(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`initiate` with a compact covariance: mean (K, 8), cc (K, 12)."""
        z = np.asarray(measurement, dtype=DTYPE).reshape(-1, 4)
        mean = np.zeros((z.shape[0], 8), dtype=DTYPE)
        mean[:, :4] = z
        var = self._std(mean, self._w_init, (1e-2, 1e-5 / self.dt_ref)) ** 2
        return mean, np.concatenate([var[:, :4], np.zeros_like(var[:, :4]), var[:, 4:]],
                                    axis=1)

    def predict_compact(self, mean: np.ndarray, cc: np.ndarray,
                        dt: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`predict` for compact covariances cc (K, 12); returns new arrays."""
        mean = np.asarray(mean, dtype=DTYPE)
        cc = np.asarray(cc, dtype=DTYPE)
        if mean.shape[0] == 0:
            return mean.copy(), cc.copy()
        if np.ndim(dt) == 0:   # one dt for all tracks (the tracker): Python-float scalars
            dtv = DTYPE(dt)
            ratio = DTYPE(abs(float(dt)) / self.dt_ref)
        else:
            dtv = np.asarray(dt, dtype=DTYPE).reshape(-1, 1)
            ratio = np.abs(dtv) * DTYPE(1.0 / self.dt_ref)
        new_mean = mean.copy()
        new_mean[:, :4] += dtv * mean[:, 4:]
        p, c, v = cc[:, 0:4], cc[:, 4:8], cc[:, 8:12]
        q = self._std(new_mean, self._w_proc, (1e-2, 1e-5 / self.dt_ref))
        q *= q
        q *= ratio
        out = np.empty_like(cc)
        out[:, 4:8] = c + dtv * v                        # C' = C + dt V
        out[:, 0:4] = p + dtv * (c + out[:, 4:8]) + q[:, :4]   # P + 2 dt C + dt^2 V + Qp
        out[:, 8:12] = v + q[:, 4:]
        return new_mean, out

    def update_compact(self, mean: np.ndarray, cc: np.ndarray,
                       measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`update` for compact covariances cc (K, 12); returns new arrays."""
        mean = np.asarray(mean, dtype=DTYPE)
        cc = np.asarray(cc, dtype=DTYPE)
        if mean.shape[0] == 0:
            return mean.copy(), cc.copy()
        z = np.asarray(measurement, dtype=DTYPE).reshape(-1, 4)
        p, c, v = cc[:, 0:4], cc[:, 4:8], cc[:, 8:12]
        s_inv = 1.0 / (p + self.measurement_noise(mean))      # S is diagonal (K, 4)
        kp = p * s_inv                                        # gain rows for positions
        kv = c * s_inv                                        # ... and velocities
        innov = z - mean[:, :4]
        new_mean = np.empty_like(mean)
        new_mean[:, :4] = mean[:, :4] + kp * innov
        new_mean[:, 4:] = mean[:, 4:] + kv * innov
        out = np.empty_like(cc)
        out[:, 0:4] = p - kp * p
        out[:, 4:8] = c - kp * c
        out[:, 8:12] = v - kv * c
        return new_mean, out
