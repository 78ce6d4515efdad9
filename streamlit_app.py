"""Unmask's dashboard: the router. Start it with ``streamlit run streamlit_app.py``.

The pages live in ``app_pages/``; the sidebar, session state and cached loaders in the ``ui``
package; all computing in ``core``. The folder is not called ``pages/`` on purpose: Streamlit treats a
``pages/`` folder as an old-style multipage app until ``st.navigation`` first runs, so a server's
first visitor arriving by a copied link (``/confusion?run=...``) would get the page file alone,
without this router or its sidebar.
"""

import streamlit as st

import ui

st.set_page_config(page_title="Unmask", page_icon=":material/face:", layout="wide")
page = st.navigation(
    [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("app_pages/data.py", title="Data", icon=":material/photo_library:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/confusion.py", title="Confusion", icon=":material/grid_view:"),
        st.Page("app_pages/bias.py", title="Bias by group", icon=":material/groups:"),
        st.Page("app_pages/try_image.py", title="Try an image", icon=":material/image_search:"),
    ]
)
ui.sidebar()
page.run()
