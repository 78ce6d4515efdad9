"""Streamlit glue shared by the pages: sidebar, session state, URL, cached loaders, widgets.

The engine is :mod:`core`, which never imports Streamlit; this package only wires it to
the screen, one module per concern:

- :mod:`ui.state`: the data set, run and threshold in use (session state), and messages
  kept for the next run;
- :mod:`ui.sidebar`: the data and run pickers, and the run and threshold in the URL;
- :mod:`ui.loaders`: cached loaders of faces, runs, metrics, models and bias scores;
- :mod:`ui.jobs`: the training queue (jobs in their own processes), shown live, stoppable;
- :mod:`ui.widgets`: widget groups the pages share (the threshold slider, an image gallery);
- :mod:`ui.stress`: the Stress test's evaluations and probes with progress bars, kept results read back;
- :mod:`ui.navigation`: the pages, for the router and for links between pages.

Pages ``import ui`` and use the names below. Nothing here imports TensorFlow at import
time: the functions that run a model import :mod:`core.model.train` when they are called.
"""

from ui.jobs import active_jobs, delete_run, jobs_panel, start_reproduction, submit_training
from ui.loaders import (
    bias_pool,
    bias_scores,
    curve_points,
    data_folder_or_stop,
    demo_folder,
    folder_error,
    load_faces_or_stop,
    metrics_at,
    run_or_stop,
    saved_bias,
    score,
    thumbnail,
)
from ui.sidebar import (
    ASK_FOR_DOWNLOAD,
    ASK_FOR_FOLDER,
    ASK_FOR_ZIP,
    BAD_URL_THRESHOLD,
    SOURCES,
    URL_RUN_FALLBACK,
    sidebar,
)
from ui.state import (
    DATA,
    NO_RUN_YET,
    RUN,
    THRESHOLD,
    DataChoice,
    data_choice,
    flash,
    run_id_or_stop,
    set_threshold,
    show_job_message,
    threshold,
)
from ui.widgets import image_gallery, run_downloads, threshold_slider

__all__ = [
    "active_jobs",
    "ASK_FOR_DOWNLOAD",
    "ASK_FOR_FOLDER",
    "ASK_FOR_ZIP",
    "BAD_URL_THRESHOLD",
    "DATA",
    "NO_RUN_YET",
    "RUN",
    "SOURCES",
    "THRESHOLD",
    "URL_RUN_FALLBACK",
    "DataChoice",
    "bias_pool",
    "bias_scores",
    "curve_points",
    "data_choice",
    "data_folder_or_stop",
    "delete_run",
    "demo_folder",
    "flash",
    "folder_error",
    "jobs_panel",
    "load_faces_or_stop",
    "metrics_at",
    "run_id_or_stop",
    "run_or_stop",
    "saved_bias",
    "score",
    "set_threshold",
    "show_job_message",
    "sidebar",
    "submit_training",
    "start_reproduction",
    "threshold",
    "image_gallery",
    "run_downloads",
    "threshold_slider",
    "thumbnail",
]
