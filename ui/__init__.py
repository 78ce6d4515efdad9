"""Streamlit glue shared by the pages: sidebar, session state, URL, cached loaders, widgets.

The engine is :mod:`core`, which never imports Streamlit; this package only wires it to
the screen, one module per concern:

- :mod:`ui.state`: the data set, run and threshold in use (session state), and messages
  kept for the next run;
- :mod:`ui.sidebar`: the data and run pickers, and the run and threshold in the URL;
- :mod:`ui.loaders`: cached loaders of faces, runs, metrics, models and bias scores;
- :mod:`ui.jobs`: the training queue (jobs in their own processes), shown live, stoppable;
- :mod:`ui.widgets`: widget groups the pages share (the threshold slider, an image gallery);
- :mod:`ui.limits`: the Train form's limits on this machine;
- :mod:`ui.photos`: photos uploaded to be scored, decoded once per session;
- :mod:`ui.stress`: the Stress test's evaluations and probes with progress bars, kept results read back;
- :mod:`ui.navigation`: the pages, for the router and for links between pages;
- :mod:`ui.explain`: heat maps of where the model looks;
- :mod:`ui.presenter`: presenter mode (larger charts and numbers for a projector);
- :mod:`ui.warmup`: the server's heavy imports, done once in the background.

Pages ``import ui`` and use the names below. Nothing here imports TensorFlow at import
time: the functions that run a model import :mod:`core.model.train` when they are called.
"""

from ui.bias import bias_folder, bias_pool_or_stop, sampling_settings
from ui.explain import heat_map_gallery, heat_maps_of_files, region_maps
from ui.jobs import active_jobs, delete_run, jobs_panel, start_reproduction, submit_training
from ui.limits import train_limits
from ui.loaders import (
    bias_pool,
    bias_scores,
    class_pictures,
    curve_points,
    data_folder_or_stop,
    default_bias_folder,
    demo_folder,
    folder_error,
    leakage,
    load_faces_or_stop,
    metrics_at,
    run_or_stop,
    saved_bias,
    score,
    thumbnail,
)
from ui.photos import decoded_photos
from ui.presenter import chart, presenting
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
from ui.tables import table
from ui.train_form import training_form
from ui.widgets import (
    cost_threshold_chooser,
    headline_metrics,
    image_gallery,
    image_grid,
    report_downloads,
    run_downloads,
    threshold_slider,
)

__all__ = [
    "table",
    "image_grid",
    "training_form",
    "headline_metrics",
    "cost_threshold_chooser",
    "sampling_settings",
    "bias_pool_or_stop",
    "bias_folder",
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
    "chart",
    "presenting",
    "bias_scores",
    "class_pictures",
    "curve_points",
    "data_choice",
    "data_folder_or_stop",
    "decoded_photos",
    "default_bias_folder",
    "delete_run",
    "demo_folder",
    "flash",
    "folder_error",
    "jobs_panel",
    "load_faces_or_stop",
    "metrics_at",
    "leakage",
    "region_maps",
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
    "train_limits",
    "heat_map_gallery",
    "heat_maps_of_files",
    "image_gallery",
    "report_downloads",
    "run_downloads",
    "threshold_slider",
    "thumbnail",
]
