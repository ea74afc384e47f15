"""Index names map to directories under the indexes directory, and only whole valid names do."""

from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError
from ragkit.paths import index_path

pytestmark = pytest.mark.unit


def test_a_valid_name_maps_under_the_indexes_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RAGKIT_INDEXES", str(tmp_path))
    assert index_path("docs-v1.2_a") == tmp_path.resolve() / "docs-v1.2_a"


@pytest.mark.parametrize("name", ["ok\n", "ok\r\n", "\nok", "", "../up", "a/b", "a..b", ".hidden", "x" * 129,
                                  "文档", "ok\x00"])
def test_names_with_newlines_separators_or_other_characters_are_refused(name: str):
    with pytest.raises(InvalidInputError, match="invalid index name"):
        index_path(name)
