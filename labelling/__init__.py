"""Batch labelling of CSV and Parquet files, on this machine or on a Dask cluster.

Imports the classifier, never the service or training. Nothing loads a model or
opens a file at import time.
"""

from labelling.errors import LabelError
from labelling.local import LabelSummary, label_file

__all__ = ["LabelError", "LabelSummary", "label_file"]
