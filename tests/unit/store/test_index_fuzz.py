"""Seeded fuzz of saved indexes: a few hundred mutated manifests, FAISS files, SQLite docstores and BM25 arrays.

Every case must end in IndexFormatError or in a load whose searches return what the undamaged index returns;
never another exception. Files changed without updating the manifest must always be refused. Files crafted with
matching checksums must be refused or searched correctly; the one thing no check can see is a consistent forgery of
content (a chunk's id, text or metadata, or a BM25 weight, rewritten and rehashed), which is counted, not failed.
"""

import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ragkit.errors import IndexFormatError
from ragkit.store.persist import MANIFEST
from tests.unit.store.damage import build, generation, manifest, rehash, results

pytestmark = pytest.mark.unit
SEED = 14
FACTORIES = ["Flat", "HNSW16"]
REFUSALS = ("is damaged (", "was built with embedder", "reads ragkit-index up to", "which is not registered")
VALUES = [None, True, False, 0, -1, 1, 2, 31, 33, 2**63, 1.5, float("inf"), "", "x", "2", "Flat", "HNSW16",
          "IVF4,Flat", "cosine", "l2", "gen-000001", "gen-999999", "../gen-000001", "faiss", "hashing:32",
          "ragkit-hashing-32", [], [1], {}, {"a": 1}, "猫" * 3]
Mutation = Callable[[Path, random.Random], None]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    built = {}
    for factory in FACTORIES:
        directory = tmp_path_factory.mktemp(factory.replace(",", "_")) / "idx"
        build(directory, factory)
        built[factory] = (directory, results(directory))
    return built


def _files(directory: Path, prefix: str = "") -> list[Path]:
    return [generation(directory) / name for name in sorted(manifest(directory)["files"]) if name.startswith(prefix)]


def _mutate_bytes(path: Path, rng: random.Random) -> None:
    original = path.read_bytes()
    data = bytearray(original)
    kind = rng.choice(["flip", "flip", "truncate", "append", "zero"])
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del data[rng.randrange(len(data)):]
    elif kind == "append":
        data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    else:
        start = rng.randrange(len(data))
        data[start : start + 16] = bytes(len(data[start : start + 16]))
    if data == original:  # zeroed zeros, or two flips of one bit
        data.append(0)
    path.write_bytes(bytes(data))


def _any_file(directory: Path, rng: random.Random) -> None:
    _mutate_bytes(rng.choice(_files(directory)), rng)


def _manifest_field(directory: Path, rng: random.Random) -> None:
    data = manifest(directory)
    key = rng.choice(sorted(data) + ["files", "files", "unknown"])
    if key == "files" and data["files"] and rng.random() < 0.7:
        name = rng.choice(sorted(data["files"]))
        change = rng.choice(["drop", "digest", "rename", "value"])
        if change == "drop":
            del data["files"][name]
        elif change == "digest":
            data["files"][name] = data["files"][name][::-1]
        elif change == "rename":
            data["files"][rng.choice(["../" + name, name + "x", "/" + name, "bm25/../" + name])] = data["files"].pop(name)
        else:
            data["files"][name] = rng.choice(VALUES)
    elif rng.random() < 0.2:
        data.pop(key, None)
    else:
        data[key] = rng.choice(VALUES)
    (directory / MANIFEST).write_text(json.dumps(data))


def _manifest_bytes(directory: Path, rng: random.Random) -> None:
    _mutate_bytes(directory / MANIFEST, rng)


def _crafted(prefix: str) -> Mutation:
    def mutate(directory: Path, rng: random.Random) -> None:
        _mutate_bytes(rng.choice(_files(directory, prefix)), rng)
        rehash(directory)

    return mutate


# (kind, mutation, cases, strict): strict kinds must always be refused.
KINDS: list[tuple[str, Mutation, int, bool]] = [
    ("file bytes, manifest untouched", _any_file, 120, True),
    ("manifest field", _manifest_field, 100, False),
    ("manifest bytes", _manifest_bytes, 40, False),
    ("docstore crafted with matching checksum", _crafted("docstore.sqlite"), 60, False),
    ("BM25 file crafted with matching checksum", _crafted("bm25/"), 60, False),
]


def _dense_scores(found: dict) -> list:
    """What the vector index decides; a chunk's id, text and metadata are content a forger may rewrite."""
    return [[score for _, score, _, _ in hits] for hits in found["dense"]]


def test_every_damaged_or_crafted_index_is_refused_or_searched_correctly(pristine, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    failures, forgeries, refused, total = [], Counter(), 0, 0
    for kind, mutate, cases, strict in KINDS:
        for case in range(cases):
            factory = FACTORIES[case % len(FACTORIES)]
            source, expected = pristine[factory]
            directory = tmp_path / f"{total}" / "idx"
            total += 1
            shutil.copytree(source, directory)
            mutate(directory, rng)
            label = f"{kind} #{case} ({factory})"
            try:
                found = results(directory)
            except IndexFormatError as exc:
                refused += 1
                if not any(marker in str(exc) for marker in REFUSALS):
                    failures.append(f"{label}: unclear refusal {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - any other exception is the failure being searched for
                failures.append(f"{label}: {type(exc).__name__}: {exc}")
                continue
            if strict:
                failures.append(f"{label}: a changed file was not refused")
            elif found != expected:
                consistent = "crafted" in kind and _dense_scores(found) == _dense_scores(expected)
                if consistent:
                    forgeries[kind] += 1
                else:
                    failures.append(f"{label}: loaded with different search results")
            shutil.rmtree(directory)
    assert not failures, "\n".join(failures[:20])
    assert total >= 300 and refused >= 200, (total, refused)
    print(f"{total} cases: {refused} refused, {total - refused - forgeries.total()} loaded with the undamaged "
          f"results, consistent forgeries of content: {dict(forgeries)}")
