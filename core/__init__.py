"""Unmask's engine: data sets, models, training, metrics, bias and the run store.

This package never imports Streamlit, and importing it does not import TensorFlow:
only :mod:`core.models` and :mod:`core.train` do, when they run.
"""
