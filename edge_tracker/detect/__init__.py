"""Detectors: preprocessing, one decoder per output signature, NMS."""
