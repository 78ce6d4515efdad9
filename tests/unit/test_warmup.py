"""ui.warmup: the server imports what the next pages need once, in the background, after its first page."""

import subprocess
import sys

from core.paths import REPO_ROOT

CODE = """
import sys, threading
import ui.warmup as warmup
before = [m in sys.modules for m in warmup.MODULES]
first, second = warmup.start_once(), warmup.start_once()
for thread in threading.enumerate():
    if thread.name == "unmask-warmup":
        thread.join(60)
print(any(before), first, second, all(m in sys.modules for m in warmup.MODULES), "tensorflow" in sys.modules)
"""


def test_start_once_imports_the_heavy_modules_in_the_background_once() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CODE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False True False True False"


def test_modules_include_streamlit_emojis() -> None:
    # Streamlit compiles its emoji pattern (~0.5 s) on the first alert with non-ASCII text.
    from ui.warmup import MODULES

    assert "streamlit.emojis" in MODULES
