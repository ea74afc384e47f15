"""The CLI on bad input: one-line reasons with exit code 2, or skipped files with exit code 0."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_index_skips_bad_files_with_reasons_and_exits_zero(tmp_path: Path, indexes: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("Refunds are paid within five working days.")
    (docs / "empty.txt").write_text("")
    (docs / "junk.txt").write_bytes(bytes(range(256)) * 16)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (docs / "latin.txt").write_bytes("r\u00e9sum\u00e9".encode("latin-1"))
    result = _run("index", str(docs), "--index", "t", "--embedder", "hashing")
    assert result.exit_code == 0, result.output
    assert "indexed 2 of 5 files" in result.output  # latin-1 text is decoded, not skipped
    for name, reason in [("empty.txt", "empty file"), ("junk.txt", "binary"), ("broken.pdf", "corrupt PDF")]:
        assert f"{name}: {reason}" in result.output
    info = _run("info", "--index", "t")
    assert info.exit_code == 0 and "good.md" in info.output and "embedder: ragkit-hashing-256" in info.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "/no/such/path", "--index", "t"], "path does not exist: /no/such/path"),
        (["index", str(EXAMPLES_KB), "--index", "../escape"], "invalid index name '../escape'"),
        (["index", str(EXAMPLES_KB), "--index", "/tmp/abs"], "invalid index name '/tmp/abs'"),
        (["ask", "anything?", "--index", "never-built"], "unknown index 'never-built'"),
        (["info", "--index", "never-built"], "unknown index 'never-built'"),
        (["info", "--index", "a/b"], "invalid index name 'a/b'"),
    ],
)
def test_bad_input_exits_2_with_one_line(indexes: Path, args: list[str], message: str):
    result = _run(*args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (indexes.parent / "escape").exists()


def test_an_index_refuses_a_different_embedder(tmp_path: Path, indexes: Path):
    assert _run("index", str(EXAMPLES_KB), "--index", "t", "--embedder", "hashing").exit_code == 0
    result = _run("index", str(EXAMPLES_KB), "--index", "t", "--embedder", "hashing:64")
    assert result.exit_code == 2 and "embedder='hashing:64' (the index has 'hashing:256')" in result.output


def test_reindex_with_other_chunk_tokens_is_refused_then_rebuilt(indexes: Path):
    assert _run("index", str(EXAMPLES_KB), "--index", "t", "--embedder", "hashing", "--chunk-tokens", "64").exit_code == 0
    again = _run("index", str(EXAMPLES_KB), "--index", "t", "--chunk-tokens", "128")
    lines = [line for line in again.output.splitlines() if line.strip()]
    assert again.exit_code == 2 and len(lines) == 1 and "chunk_tokens=128 (the index has 64)" in lines[0]
    rebuilt = _run("index", str(EXAMPLES_KB), "--index", "t", "--chunk-tokens", "128", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    info = _run("info", "--index", "t")
    assert "'chunk_tokens': 128" in info.output


def test_bad_settings_exit_2_naming_the_option(indexes: Path):
    result = _run("index", str(EXAMPLES_KB), "--index", "t", "--chunk-tokens", "4")
    assert result.exit_code == 2 and "chunk_tokens:" in result.output


def test_the_reader_budget_is_set_from_the_command_line(tmp_path: Path, indexes: Path):
    from tests.office_bombs import real_docx, span_bomb

    docs = tmp_path / "docs"
    docs.mkdir()
    span_bomb(docs / "span.docx")
    real_docx(docs / "policy.docx")
    result = _run("index", str(docs), "--index", "t", "--embedder", "hashing", "--reader-memory-mb", "256")
    assert result.exit_code == 0 and "indexed 1 of 2 files" in result.output, result.output
    assert "needs more than 256 MB of memory" in result.output
    small = _run("index", str(docs), "--index", "u", "--embedder", "hashing", "--reader-memory-mb", "64")
    assert small.exit_code == 2 and "reader.memory_mb:" in small.output


def test_info_keeps_each_source_on_one_line_when_piped(tmp_path: Path, indexes: Path):
    docs = tmp_path / ("a-very-long-folder-name-" * 6)
    docs.mkdir()
    (docs / "escape\x1b[31m.md").write_text("Refunds are paid within five working days.")
    assert _run("index", str(docs), "--index", "t", "--embedder", "hashing").exit_code == 0
    output = _run("info", "--index", "t").output
    line = next(line for line in output.splitlines() if "escape" in line)
    assert line.strip().endswith("escape\\x1b[31m.md") and "\x1b" not in output
