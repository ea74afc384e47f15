"""`ragkit ask` answered by a real `ragkit serve` on a loopback port: given with --server, or found through the
state file the server writes; a server that is gone falls back to this process, a given one is an error."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit import Answer, RagEvent, TextDelta
from ragkit.cli import app
from ragkit.cli_answer import answer_events, server_url
from ragkit.errors import InvalidInputError
from ragkit.server.client import ServerUnavailable
from ragkit.server.discovery import STATE_FILE, ServerInfo, announced, running_server
from tests.integration.server.live import LiveServer

pytestmark = pytest.mark.integration
runner = CliRunner()
QUESTION = "How long must passwords be?"
CHINESE = "密码至少要多长？"


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_ask_with_server_streams_the_servers_answer_and_sources(docs: LiveServer) -> None:
    result = runner.invoke(app, ["ask", QUESTION, "--index", "docs", "--server", docs.url, "--verbose"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Passwords must be at least 14 characters long. [1]")  # streamed deltas
    assert "model: ScriptedChatModel" in result.output and f"answered by the server at {docs.url}" in result.output
    assert "sources:\n  [1] security.txt" in result.output


def test_a_chinese_question_goes_through_the_server_too(docs: LiveServer) -> None:
    result = runner.invoke(app, ["ask", CHINESE, "--index", "docs", "--server", docs.url, "--verbose"])
    assert result.exit_code == 0 and f"answered by the server at {docs.url}" in result.output, result.output
    assert docs.state.kbs.get("docs").answers.log.events()[-1].question == CHINESE  # the server answered it


def test_ask_finds_the_announced_server(docs: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    root = docs.state.settings.indexes_root()
    monkeypatch.setenv("RAGKIT_INDEXES", str(root))
    with announced(root, ServerInfo(url=docs.url, pid=os.getpid())):
        assert running_server(root) == ServerInfo(url=docs.url, pid=os.getpid())
        result = runner.invoke(app, ["ask", QUESTION, "--index", "docs", "--verbose"])
    assert result.exit_code == 0, result.output
    assert f"answered by the server at {docs.url}" in result.output
    assert not (root / STATE_FILE).exists()  # removed when the server's block ends


def test_a_servers_4xx_is_one_line_and_exit_2(docs: LiveServer) -> None:
    result = runner.invoke(app, ["ask", QUESTION, "--index", "nope", "--server", docs.url])
    assert result.exit_code == 2 and "answered 404" in result.output, result.output


def test_a_given_server_that_is_down_is_an_error() -> None:
    url = _closed_port()
    result = runner.invoke(app, ["ask", QUESTION, "--server", url])
    assert result.exit_code == 2 and f"no ragkit server at {url}" in result.output, result.output


def test_a_found_server_that_is_gone_falls_back_to_this_process() -> None:
    answer = Answer(QUESTION, "local", [], [], "local", {})

    def in_process() -> Iterator[RagEvent]:
        yield TextDelta("local")
        yield answer

    assert list(answer_events(_closed_port(), False, "docs", QUESTION, in_process))[-1] is answer
    with pytest.raises(ServerUnavailable):
        list(answer_events(_closed_port(), True, "docs", QUESTION, in_process))


def test_which_server_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGKIT_INDEXES", str(tmp_path))
    assert server_url(None, True, None, []) is None  # nothing announced
    with announced(tmp_path, ServerInfo(url="http://127.0.0.1:9", pid=os.getpid(), model="gemma3-270m")):
        assert server_url(None, True, "gemma3-270m", []) == "http://127.0.0.1:9"
        assert server_url(None, True, None, []) is None  # another model than the server's
        assert server_url(None, False, "gemma3-270m", []) is None  # --no-server
        assert server_url(None, True, "gemma3-270m", ["--adapter"]) is None  # only this process honours it
    with pytest.raises(InvalidInputError, match="--server cannot take --adapter"):
        server_url("http://127.0.0.1:9", True, None, ["--adapter"])
    (tmp_path / STATE_FILE).write_text(ServerInfo(url="http://127.0.0.1:9", pid=2**22 + 1).model_dump_json())
    assert running_server(tmp_path) is None  # its process is gone
