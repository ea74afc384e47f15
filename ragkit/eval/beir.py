"""Load a BEIR-format dataset: corpus.jsonl, queries.jsonl and qrels/SPLIT.tsv."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import InvalidInputError


@dataclass(frozen=True)
class BeirDataset:
    """Documents, the queries of one split that have judgments, and those judgments."""

    corpus: dict[str, tuple[str, str]]
    """document id -> (title, text)."""
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def document_text(self, doc_id: str) -> str:
        """Title and text joined the way BEIR's baselines index them."""
        title, text = self.corpus[doc_id]
        return f"{title}\n{text}" if title else text


def load_beir(directory: str | Path, split: str = "test") -> BeirDataset:
    """Read a BEIR dataset directory; only queries judged in `split` are kept."""
    directory = Path(directory)
    qrels_path = directory / "qrels" / f"{split}.tsv"
    for path in (directory / "corpus.jsonl", directory / "queries.jsonl", qrels_path):
        if not path.is_file():
            raise InvalidInputError(f"{directory} is not a BEIR dataset for split {split!r}: {path.name} is missing")
    qrels = _read_qrels(qrels_path)
    corpus = {row["_id"]: (row.get("title") or "", row.get("text") or "") for row in _jsonl(directory / "corpus.jsonl")}
    queries = {row["_id"]: row["text"] for row in _jsonl(directory / "queries.jsonl") if row["_id"] in qrels}
    if not queries:
        raise InvalidInputError(f"no query of {directory / 'queries.jsonl'} is judged in {qrels_path}")
    return BeirDataset(corpus, queries, {q: rel for q, rel in qrels.items() if q in queries})


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                    row["_id"] = str(row["_id"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise InvalidInputError(f"{path}:{number}: not a BEIR record with an _id ({exc})") from exc
                yield row


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        for number, row in enumerate(rows, start=1):
            if number == 1 and row and not row[-1].lstrip("-").isdigit():
                continue  # header line
            if len(row) < 3:
                raise InvalidInputError(f"{path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score'")
            qrels.setdefault(row[0], {})[row[-2]] = int(row[-1])  # BEIR has 3 columns, TREC 4 (query 0 doc score)
    return qrels
