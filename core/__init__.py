"""Unmask's engine: data sets, models, training, metrics, bias and the run store.

This package never imports Streamlit, and importing it does not import TensorFlow:
only :mod:`core.models`, :mod:`core.tfdata` and :mod:`core.train` do, when a model runs.

The names most users need::

    from core import TrainConfig, UnmaskError, REAL, FAKE, DEFAULT_THRESHOLD
    from core.pipeline import load_faces, train_and_save, evaluate_run, bias_table
    from core.metrics import threshold_metrics
    from core.bias import group_table
"""

from core.config import TrainConfig
from core.errors import UnmaskError
from core.faceset import FaceSet, SkippedFile
from core.labels import DEFAULT_THRESHOLD, FAKE, REAL

__all__ = ["DEFAULT_THRESHOLD", "FAKE", "REAL", "FaceSet", "SkippedFile", "TrainConfig", "UnmaskError"]
