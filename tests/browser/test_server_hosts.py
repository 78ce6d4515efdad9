"""A real ``streamlit run`` server refuses a foreign Host header (DNS rebinding), raw requests only.

A web page the user visits can point its own name (``rebind.example``) at 127.0.0.1; the
browser then sends ``Host: rebind.example`` with every request. Everything a visitor can
read or change goes through the app's WebSocket, so its upgrade must be refused for any
name but localhost's; the HTTP shell (the same JavaScript and HTML for everyone, no data) is
allowed to load.
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from support.browser import Server, streamlit_server

LOCAL_NAMES = ["localhost", "127.0.0.1", "[::1]"]
FOREIGN_NAMES = ["rebind.example", "attacker.localhost.example", "127.0.0.1.nip.io"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with streamlit_server(tmp_path_factory.mktemp("hosts"), name="hosts") as running:
        yield running


def _upgrade(server: Server, host: str, *, origin: str | None = None) -> str:
    """The status line the server answers a WebSocket upgrade of ``/_stcore/stream`` with."""
    port = urlparse(server.url).port
    headers = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
    ]
    if origin is not None:
        headers.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        answer = connection.recv(4096).decode("latin-1")
    return answer.split("\r\n", 1)[0]


@pytest.mark.parametrize("host", FOREIGN_NAMES)
def test_websocket_upgrade_with_a_foreign_host_is_refused(server: Server, host: str) -> None:
    assert _upgrade(server, host) == "HTTP/1.1 403 Forbidden"
    assert _upgrade(server, host, origin=f"http://{host}") == "HTTP/1.1 403 Forbidden"


@pytest.mark.parametrize("host", LOCAL_NAMES)
def test_websocket_upgrade_from_localhost_is_accepted(server: Server, host: str) -> None:
    assert _upgrade(server, host) == "HTTP/1.1 101 Switching Protocols"
