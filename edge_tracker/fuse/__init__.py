"""Fusion of (stale) teacher results with the student: propagation, box fusion, prior, calibration."""
