"""Streamlit glue shared by the pages: sidebar, session state, URL, cached loaders, widgets.

The engine is :mod:`core`, which never imports Streamlit; this package only wires it to
the screen, one module per concern:

- :mod:`ui.state`: the data set, run and threshold in use (session state), and messages
  kept for the next run;
- :mod:`ui.sidebar`: the data and run pickers, and the run and threshold in the URL;
- :mod:`ui.loaders`: cached loaders of faces, runs, metrics, models and bias scores;
- :mod:`ui.jobs`: training in the background, shown live;
- :mod:`ui.widgets`: widget groups the pages share (the threshold slider, an image gallery);
- :mod:`ui.navigation`: the pages, for the router and for links between pages;
- :mod:`ui.explain`: heat maps of where the model looks;
- :mod:`ui.presenter`: presenter mode (larger charts and numbers for a projector);
- :mod:`ui.warmup`: the server's heavy imports, done once in the background.

Pages ``import ui`` and use the names below. Nothing here imports TensorFlow at import
time: the functions that run a model import :mod:`core.model.train` when they are called.
"""

from ui.explain import heat_map_gallery, heat_maps_of_files, region_maps
from ui.jobs import delete_run, job, job_panel, start_job, start_reproduction
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
    score,
    thumbnail,
)
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
    JOB,
    NO_RUN_YET,
    RUN,
    THRESHOLD,
    DataChoice,
    bias_summary,
    data_choice,
    flash,
    remember_bias,
    run_id_or_stop,
    set_threshold,
    show_job_message,
    threshold,
)
from ui.widgets import image_gallery, report_downloads, run_downloads, threshold_slider

__all__ = [
    "ASK_FOR_DOWNLOAD",
    "ASK_FOR_FOLDER",
    "ASK_FOR_ZIP",
    "BAD_URL_THRESHOLD",
    "DATA",
    "JOB",
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
    "bias_summary",
    "class_pictures",
    "curve_points",
    "data_choice",
    "data_folder_or_stop",
    "default_bias_folder",
    "delete_run",
    "demo_folder",
    "flash",
    "folder_error",
    "job",
    "job_panel",
    "leakage",
    "load_faces_or_stop",
    "metrics_at",
    "region_maps",
    "remember_bias",
    "run_id_or_stop",
    "run_or_stop",
    "score",
    "set_threshold",
    "show_job_message",
    "sidebar",
    "start_job",
    "start_reproduction",
    "threshold",
    "heat_map_gallery",
    "heat_maps_of_files",
    "image_gallery",
    "report_downloads",
    "run_downloads",
    "threshold_slider",
    "thumbnail",
]
