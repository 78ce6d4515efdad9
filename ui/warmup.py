"""Warm the server up once: import the heavy libraries the pages need, in the background.

The first page a visitor sees needs neither scikit-learn nor scipy.stats (the metrics modules
import them on first use: a second or two here). Every later page does, and a visitor who
arrives by a copied link (``/confusion?run=...``) would wait for those imports on top of the
page's own work. So once the server has drawn its first page, a daemon thread imports them
while the visitor reads. TensorFlow is not among them: it costs ~5 s of both cores, and only
scoring an image needs it.

Streamlit's emoji catalogue is among them: an alert whose text is not plain ASCII (the Data page's
"checked all 966 × 323 pairs") makes Streamlit import :mod:`streamlit.emojis`, which compiles a
regular expression of every emoji, ~0.5 s, paid by the first page that shows such an alert.
"""

from __future__ import annotations

import importlib
import threading

#: Imported in this order; each is what a page's first computation would import.
MODULES = (
    "scipy.stats",  # Wilson intervals (core.evaluation.rates)
    "sklearn.metrics",  # ROC, PR, AUC (core.evaluation.metrics, thresholds)
    "sklearn.model_selection",  # the stratified split (core.data.split)
    "scipy.fft",  # spectra (core.data.imagestats)
    "streamlit.emojis",  # the leading-icon check of an alert whose text is not ASCII (st.success etc.)
)
_started = threading.Event()


def start_once() -> bool:
    """Start the warm-up thread, once per server process; True when this call started it."""
    if _started.is_set():
        return False
    _started.set()
    threading.Thread(target=_import_all, name="unmask-warmup", daemon=True).start()
    return True


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # the page that needs it will say what is missing
            continue
