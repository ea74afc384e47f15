"""Which loader reads which file suffix: the seam for new formats (register_loader) and for the CLI and app."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ragkit.errors import InvalidInputError, SkipFile
from ragkit.ingest.formats import BUILTIN_LOADERS
from ragkit.ingest.page import Page

Loader = Callable[[Path], list[Page]]
"""Reads one file into pages; raises SkipFile with a reason for a file it cannot use (OSError means unreadable).
Reader processes import loaders by name, so a loader should be a module-level function."""


class LoaderRegistry:
    """Suffix (lower case, with its dot) -> loader."""

    def __init__(self, loaders: Mapping[tuple[str, ...], Loader] | None = None):
        self._loaders: dict[str, Loader] = {}
        for suffixes, loader in (loaders or {}).items():
            self.register(suffixes, loader)

    def register(self, suffixes: str | Iterable[str], loader: Loader, *, replace: bool = False) -> None:
        """Read files with these suffixes (".ext" or "ext", any case) with loader; replace=True overrides one."""
        names = [_suffix(s) for s in ([suffixes] if isinstance(suffixes, str) else suffixes)]
        taken = [s for s in names if self._loaders.get(s, loader) is not loader]
        if taken and not replace:
            raise InvalidInputError(f"a loader for {', '.join(taken)} is already registered: pass replace=True "
                                    "to replace it")
        self._loaders.update(dict.fromkeys(names, loader))

    def suffixes(self) -> tuple[str, ...]:
        """Every suffix with a loader, sorted."""
        return tuple(sorted(self._loaders))

    def loader_for(self, path: Path) -> Loader:
        """The loader for path's suffix; SkipFile when there is none."""
        suffix = path.suffix.lower()
        try:
            return self._loaders[suffix]
        except KeyError:
            raise SkipFile(f"unsupported file type {suffix or '(none)'}") from None


def _suffix(raw: str) -> str:
    """'.EXT', 'ext' -> '.ext'; a suffix Path.suffix can never return is refused."""
    suffix = "." + raw.lower().removeprefix(".")
    if Path("x" + suffix).suffix != suffix:
        raise InvalidInputError(f"not a file suffix: {raw!r} (expected e.g. '.txt')")
    return suffix


DEFAULT_LOADERS = LoaderRegistry(BUILTIN_LOADERS)
"""The registry load_file uses unless given another."""


def register_loader(suffixes: str | Iterable[str], loader: Loader, *, replace: bool = False) -> None:
    """Make load_file (and so indexing, the CLI and the app) read files with these suffixes through loader."""
    DEFAULT_LOADERS.register(suffixes, loader, replace=replace)


def supported_suffixes() -> tuple[str, ...]:
    """Suffixes load_file reads, sorted, e.g. ('.csv', '.docx', ...): for help texts and upload filters."""
    return DEFAULT_LOADERS.suffixes()
