"""On-device benchmarks: model latency, pipeline latency, memory footprint.

Modules: ``stats`` (sample summaries in ms), ``machine`` (what the numbers were measured
on), ``rss`` (peak and current resident memory), ``progress`` (a TTY-only progress bar),
``latency`` (one model: init, invoke, preprocess, decode, bare invoke loop), ``pipeline``
(the daemon's own frame loop on a file) and ``plot`` (PNG of a pipeline run).
"""
