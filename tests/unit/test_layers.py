"""Imports point down the layer order of ../shared/STYLE.md, function-level imports included, no two parts of
ragkit import each other (not even through a third), and the faces (the app, the server) use only ragkit's public
API."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.unit

LAYERS: dict[str, int] = {
    # 0: files, text and settings; nothing of ragkit below them
    "ragkit.errors": 0, "ragkit.paths": 0, "ragkit.settings": 0, "ragkit.digests": 0, "ragkit.text": 0,
    "ragkit.ingest": 0,
    "ragkit.answer": 0,  # the answer contract: plain data every face shares
    # 1: vectors and where they are kept
    "ragkit.embeddings": 1, "ragkit.store": 1,
    # 2: search, and prompt files (a prompt knows no model: token counters and embeddings are handed to it)
    "ragkit.retrieval": 2, "ragkit.prompts": 2,
    # 3: generation backends and their adapters
    "ragkit.models": 3,
    # 4: what combines retrieval, prompts and models
    "ragkit.chains": 4, "ragkit.eval": 4, "ragkit.finetune": 4,
    # 5: building indexes and the knowledge base over them
    "ragkit.indexing": 5, "ragkit.distributed": 5, "ragkit.kb": 5, "ragkit.answerlog": 5, "ragkit.staging": 5,
    "ragkit.lifecycle": 5,
    # 6: entry points, which may import anything
    "ragkit": 6, "ragkit.cli": 6, "ragkit.cli_support": 6, "ragkit.cli_answer": 6, "ragkit.cli_chat": 6,
    "ragkit.eval.cli": 6, "ragkit.finetune.cli": 6,
    "ragkit.prompts.cli": 6, "ragkit.server": 6, "apps": 6,
}
"""Module or package -> layer; a module belongs to the nearest listed name above it (the root `ragkit` only
holds its own __init__), and may import only from its own layer or lower ones."""

FACES: dict[str, tuple[str, ...]] = {
    "apps": (),
    "ragkit.server": ("ragkit.server", "ragkit.cli_support"),  # its own modules; the CLI helpers of every face
}
"""Face -> what it may import besides `ragkit` itself (whose exports are the public API)."""

Edge = tuple[str, int, str]
"""(importing module, line, imported module)."""


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted name -> file of every module under root/<package> (a package is its __init__.py)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(known: Mapping[str, Path], prefixes: tuple[str, ...]) -> list[Edge]:
    """Every import anywhere in each module (module level, in functions, under TYPE_CHECKING) of a module whose
    name starts with one of prefixes; relative imports resolved, `from pkg import mod` read as pkg.mod."""
    edges = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
                source = ".".join(p for p in (base, node.module) if p)
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
            else:
                continue
            edges += [(name, node.lineno, t) for t in dict.fromkeys(targets) if t.split(".")[0] in prefixes]
    return edges


def unit(module: str) -> str:
    """The LAYERS name a module belongs to."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in LAYERS and (candidate != "ragkit" or n == len(parts)):
            return candidate
    raise AssertionError(f"{module} is in no layer: add it (or its package) to LAYERS in {__file__}")


def upward(edges: Iterable[Edge]) -> list[str]:
    """Imports from a higher layer, as 'module:line imports target (layer a -> b)'."""
    return [f"{source}:{line} imports {target} (layer {LAYERS[unit(source)]} -> {LAYERS[unit(target)]})"
            for source, line, target in edges if LAYERS[unit(target)] > LAYERS[unit(source)]]


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Groups of LAYERS names that import each other, directly or through others (strongly connected, size > 1)."""
    graph: dict[str, set[str]] = {}
    for source, _, target in edges:
        if unit(source) != unit(target):
            graph.setdefault(unit(source), set()).add(unit(target))

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {name: reach(name) for name in graph}
    groups = {frozenset({a} | {b for b in reachable[a] if a in reachable.get(b, set())}) for a in graph}
    return sorted(sorted(g) for g in groups if len(g) > 1)


def private(edges: Iterable[Edge]) -> list[str]:
    """Imports by a face of anything but ragkit's public API (the `ragkit` package's exports) and what FACES
    allows it, as 'module:line imports target'."""
    found = []
    for source, line, target in edges:
        face = next((f for f in FACES if source == f or source.startswith(f + ".")), None)
        allowed = ("ragkit", *FACES[face]) if face else ()
        if face and target != "ragkit" and not any(target == a or target.startswith(a + ".") for a in allowed[1:]):
            found.append(f"{source}:{line} imports {target}")
    return found


def check(root: Path) -> tuple[list[str], list[list[str]], list[str]]:
    """(upward imports, cycles, faces' imports past the public API) of ragkit/ and apps/ under root."""
    known = modules(root, [p for p in ("ragkit", "apps") if (root / p).is_dir()])
    edges = imports(known, ("ragkit", "apps"))
    return upward(edges), cycles(edges), private(edges)


def test_every_module_has_a_layer() -> None:
    known = modules(REPO, ["ragkit", "apps"])
    assert "apps.kb_qa" in known and "ragkit.models.factory" in known
    assert {unit(name) for name in known} <= set(LAYERS)


def test_imports_point_down_the_layers() -> None:
    assert upward(imports(modules(REPO, ["ragkit", "apps"]), ("ragkit", "apps"))) == []


def test_no_package_cycles() -> None:
    assert cycles(imports(modules(REPO, ["ragkit", "apps"]), ("ragkit", "apps"))) == []


def test_the_app_and_the_server_use_only_the_public_api() -> None:
    assert private(imports(modules(REPO, ["ragkit", "apps"]), ("ragkit", "apps"))) == []


def test_the_public_api_lists_every_export_once_and_each_resolves() -> None:
    import ragkit

    assert sorted(ragkit.__all__) == sorted(ragkit._HOMES) and len(set(ragkit.__all__)) == len(ragkit.__all__)
    for name in ragkit.__all__:
        assert getattr(ragkit, name) is not None, name


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_planted_upward_import_inside_a_function_fails(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "ragkit/__init__.py": "",
        "ragkit/errors.py": "import os\n\n\ndef hint():\n    from ragkit.kb import KnowledgeBase\n",
        "ragkit/kb.py": "",
        "apps/kb_qa.py": "from ragkit import kb\n",
    })
    assert check(root) == (["ragkit.errors:5 imports ragkit.kb (layer 0 -> 5)"], [], ["apps.kb_qa:1 imports ragkit.kb"])


def test_a_relative_import_and_a_same_layer_cycle_fail(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "ragkit/__init__.py": "",
        "ragkit/models/__init__.py": "from . import llamacpp\n",
        "ragkit/models/llamacpp.py": "from ..chains import rag\n",
        "ragkit/chains/__init__.py": "",
        "ragkit/chains/rag.py": "",
        "ragkit/prompts/__init__.py": "",
        "ragkit/prompts/load.py": "import ragkit.retrieval.dense\n",
        "ragkit/retrieval/__init__.py": "",
        "ragkit/retrieval/dense.py": "def f():\n    from ragkit.prompts import load\n",
    })
    assert check(root) == (["ragkit.models.llamacpp:1 imports ragkit.chains.rag (layer 3 -> 4)"],
                           [["ragkit.prompts", "ragkit.retrieval"]], [])


def test_a_face_importing_an_internal_fails_and_the_public_api_passes(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "ragkit/__init__.py": "",
        "ragkit/models/__init__.py": "",
        "ragkit/models/presets.py": "",
        "ragkit/cli_support.py": "",
        "ragkit/server/__init__.py": "",
        "ragkit/server/app.py": "from ragkit import KnowledgeBases\nfrom ragkit.server import errors\n"
                                "from ragkit.cli_support import console\n\n\ndef f():\n    import ragkit.models\n",
        "ragkit/server/errors.py": "",
        "apps/kb_qa.py": "from ragkit import KnowledgeBase\nfrom ragkit.models.presets import PRESETS\n"
                         "from ragkit.cli_support import console\n",
    })
    assert sorted(check(root)[2]) == ["apps.kb_qa:2 imports ragkit.models.presets", "apps.kb_qa:3 imports ragkit.cli_support",
                              "ragkit.server.app:7 imports ragkit.models"]


def test_a_module_outside_every_layer_is_reported(tmp_path: Path) -> None:
    root = _plant(tmp_path, {"ragkit/__init__.py": "", "ragkit/newthing.py": "from ragkit import errors\n"})
    with pytest.raises(AssertionError, match="ragkit.newthing is in no layer"):
        check(root)
