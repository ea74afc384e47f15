"""load_file: the registered loader for a file's suffix, with the checks every format shares."""

from __future__ import annotations

from pathlib import Path

from ragkit.errors import SkipFile
from ragkit.ingest.guard import check_office, parser_errors
from ragkit.ingest.page import Page
from ragkit.ingest.registry import DEFAULT_LOADERS, LoaderRegistry


def load_file(path: Path, loaders: LoaderRegistry | None = None) -> list[Page]:
    """Pages of text of a file; SkipFile with the reason when it is unsupported, empty, binary, corrupt,
    encrypted or unreadable. `loaders` defaults to the registry register_loader fills."""
    loader = (DEFAULT_LOADERS if loaders is None else loaders).loader_for(path)
    try:
        if path.stat().st_size == 0:
            raise SkipFile("empty file")
        check_office(path)
        pages = loader(path)
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from exc
    except parser_errors() as exc:
        raise SkipFile(f"cannot be parsed ({type(exc).__name__}: {str(exc)[:200]})") from exc
    pages = [page for page in pages if page.text.strip()]
    if not pages:
        raise SkipFile("no extractable text")
    return pages
