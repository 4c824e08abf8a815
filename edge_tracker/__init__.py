"""edge_tracker: real-time multi-object tracking for small ARM boards.

An int8 student detector runs on every frame; a larger teacher runs on a
budget-aware timer and its (stale) predictions are fused into the student's.
"""

__version__ = "0.1.0"
