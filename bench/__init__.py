"""RoleLens benchmarks: ``python -m bench`` (``make bench``) measures speed, memory and cost growth.

Timing goals live here, never in tests. Nothing runs, loads or reads at import time.
"""
