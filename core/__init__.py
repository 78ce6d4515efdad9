"""Unmask's engine: data sets, models, training, metrics, bias and the run store.

This package never imports Streamlit, and importing it does not import TensorFlow:
only :mod:`core.model.presets`, :mod:`core.model.artifacts`, :mod:`core.model.tfdata` and
:mod:`core.model.train` do, when a model runs.

The names most users need::

    from core import TrainConfig, UnmaskError, REAL, FAKE, DEFAULT_THRESHOLD
    from core.pipeline import load_faces, train_and_save, evaluate_run, bias_table
    from core.evaluation.metrics import threshold_metrics
    from core.evaluation.bias import group_table
"""

from core.data.faceset import FaceSet, SkippedFile
from core.errors import UnmaskError
from core.labels import DEFAULT_THRESHOLD, FAKE, REAL
from core.model.config import TrainConfig

__all__ = ["DEFAULT_THRESHOLD", "FAKE", "REAL", "FaceSet", "SkippedFile", "TrainConfig", "UnmaskError"]
