"""The dashboard's settings (.streamlit/config.toml): the README's safe defaults, and those for speed."""

import tomllib

from core.data.images import MAX_UPLOAD_IMAGE_MB
from core.data.uploads import MAX_UPLOAD_MB
from core.paths import REPO_ROOT


def _config() -> dict:
    return tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_config_binds_to_localhost():
    assert _config()["server"]["address"] == "localhost"


def test_config_keeps_xsrf_protection_and_caps_uploads():
    server = _config()["server"]
    assert server["enableXsrfProtection"] is True
    assert server["maxUploadSize"] == MAX_UPLOAD_MB


def test_config_lets_streamlit_run_open_a_browser_tab_without_an_email_prompt():
    """The README's start command opens the app; headless only with --server.headless or no display."""
    server = _config()["server"]
    assert "headless" not in server
    assert server["showEmailPrompt"] is False


def test_config_turns_usage_statistics_off():
    assert _config()["browser"]["gatherUsageStats"] is False


def test_config_skips_the_full_garbage_collection_after_each_run():
    """Streamlit's default full collection after every run, fragments included, held the GIL ~90 ms a move."""
    assert _config()["runner"]["postScriptGC"] is False


def test_config_does_not_watch_the_source_files():
    """The watcher resolved every imported module's path on the server's event loop after a run (~0.4 s)."""
    assert _config()["server"]["fileWatcherType"] == "none"


def test_server_runs_on_uvloop_and_httptools():
    """Streamlit's performance extra is installed and taken up: a missing or broken one fails here."""
    from streamlit.web import bootstrap
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    assert bootstrap._get_uvloop_loop_factory() is not None
    assert AutoHTTPProtocol.__name__ == "HttpToolsProtocol"


def test_config_accepts_only_localhost_names_as_host():
    """DNS rebinding: a page whose own name resolves to this machine must not reach the app."""
    assert _config()["server"]["allowedHosts"] == ["localhost", "127.0.0.1", "::1"]


def test_config_shows_visitors_no_error_details_and_a_minimal_toolbar():
    client = _config()["client"]
    assert client["showErrorDetails"] == "none"
    assert client["toolbarMode"] == "minimal"


def test_config_upload_cap_is_the_largest_upload_a_page_accepts():
    assert _config()["server"]["maxUploadSize"] == max(MAX_UPLOAD_MB, MAX_UPLOAD_IMAGE_MB)
