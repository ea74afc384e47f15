"""Build an index on a Ray cluster (ray.data) for corpora that outgrow one machine, in the local Indexer's format.

Tasks load, hash and split files; an actor pool embeds the chunks (one embedder per actor) and writes parquet
shards; the driver streams the shards into one AnnVectorStore and saves it like ragkit.indexing does.
Input files and the index directory must be at the same paths on every node (a shared filesystem), and ragkit
must be installed there.
"""

from __future__ import annotations

import functools
import itertools
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ragkit.embeddings import VectorEmbeddings, from_spec
from ragkit.errors import InvalidInputError, RagkitError
from ragkit.indexing import IndexReport, display_source, read_file
from ragkit.ingest import Chunk, Splitter, safe_name, walk
from ragkit.retrieval import save_bm25
from ragkit.settings import IndexSettings
from ragkit.store import AnnVectorStore, auto_factory
from ragkit.store.persist import MANIFEST, write_lock

if TYPE_CHECKING:
    import pyarrow as pa

MERGE_ROWS = 16_384
"""Chunks read from the shards per add on the driver (the first add also holds what IVF training needs)."""
_CHUNK_COLUMNS = ("source", "digest", "text", "page", "start", "end", "label", "vector")


def ray_index(paths: Iterable[str | Path], directory: Path, embedder_spec: str, settings: IndexSettings | None = None,
              *, actors: int | None = None, batch_size: int = 256, address: str | None = None,
              show_progress: bool = False) -> IndexReport:
    """Build a fresh index of files and directories on Ray; an existing index is refused (update it with Indexer).

    `actors` embedding actors (default: from one up to the cluster's CPUs) get `batch_size` chunks per call;
    `address` picks the cluster when Ray is not initialized yet (None starts a local one, left running for reuse);
    `show_progress` shows Ray Data's progress bars (the CLI turns them on).
    """
    started = time.perf_counter()
    directory = Path(directory)
    if (directory / MANIFEST).exists():
        raise InvalidInputError(
            f"{directory} already holds an index: Ray indexing builds fresh indexes only; "
            "update this one with the local indexer (`ragkit index` without --ray) or choose a new index name"
        )
    ray = _import_ray()
    import pyarrow.dataset as pads

    settings = settings or IndexSettings()
    embedder = from_spec(embedder_spec)
    found = walk(paths, allow_external_links=settings.follow_external_links)
    files = found.files
    items = [{"path": str(path.absolute()), "source": display_source(path)} for path in files]
    if not ray.is_initialized():
        local = {"include_dashboard": False} if address is None else {}
        ray.init(address=address, logging_level=logging.WARNING, **local)
    directory.mkdir(parents=True, exist_ok=True)
    with write_lock(directory, wait=False):  # a local `ragkit index` on the same name refuses meanwhile
        shards = Path(tempfile.mkdtemp(prefix=".ray-shards-", dir=directory))
        try:
            if items:
                cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
                pool = ray.data.ActorPoolStrategy(size=actors) if actors else ray.data.ActorPoolStrategy(
                    min_size=1, max_size=cpus)
                dataset = ray.data.from_items(items)
                # The dataset holds its own copy of Ray Data's context: set this run's output, not the global one.
                dataset.context.enable_progress_bars = dataset.context.print_on_execution_start = show_progress
                chunk_tokens, overlap_tokens = settings.chunking()
                (dataset
                 .map_batches(_split_files, batch_format="pyarrow",
                              fn_kwargs={"spec": embedder_spec, "chunk_tokens": chunk_tokens,
                                         "overlap_tokens": overlap_tokens})
                 .map_batches(_Embed, batch_format="pyarrow", batch_size=batch_size, compute=pool,
                              fn_constructor_args=(embedder_spec,))
                 .write_parquet(str(shards)))
            shard_set = pads.dataset(shards, format="parquet", schema=_schema(embedder.dimension))
            report = IndexReport(files=len(files) + len(found.skipped))
            order = {item["source"]: n for n, item in enumerate(items)}
            skipped = shard_set.to_table(columns=["source", "reason"], filter=pads.field("reason").is_valid())
            report.skipped = [(safe_name(display_source(path)), reason) for path, reason in found.skipped]
            report.skipped += sorted(zip(skipped["source"].to_pylist(), skipped["reason"].to_pylist()),
                                     key=lambda pair: order[pair[0]])
            total = shard_set.count_rows() - skipped.num_rows
            factory = auto_factory(total) if settings.factory == "auto" else settings.factory
            store = AnnVectorStore(embedder, factory, backend=settings.backend)  # the backend recorded below
            sources = _merge(store, shard_set, embedder.dimension)
            store.save(directory, settings=settings.recorded(store.factory, embedder_spec))
            save_bm25(store, directory)
        finally:
            shutil.rmtree(shards, ignore_errors=True)
    report.indexed_files = len(sources)
    report.chunks = len(store)
    report.new_chunks = report.embedded_chunks = total
    report.seconds = time.perf_counter() - started
    return report


def _merge(store: AnnVectorStore, shard_set: Any, dimension: int) -> dict[str, str]:
    """Stream chunk rows from the shards into the store, recording each source's sha256; returns the sources."""
    import pyarrow as pa
    import pyarrow.dataset as pads

    sources: dict[str, str] = {}
    batches: list[pa.RecordBatch] = []
    pending, first = 0, max(MERGE_ROWS, store.training_size())
    rows = shard_set.to_batches(columns=list(_CHUNK_COLUMNS), filter=pads.field("reason").is_null(),
                                batch_size=MERGE_ROWS)
    for batch in itertools.chain(rows, [None]):  # None: flush the rest
        if batch is not None and batch.num_rows:
            batches.append(batch)
            pending += batch.num_rows
        if batches and (pending >= first or batch is None):
            table = pa.Table.from_batches(batches)
            chunks = [Chunk(t, s, p, b, e, label or "") for t, s, p, b, e, label in zip(
                *(table[name].to_pylist() for name in ("text", "source", "page", "start", "end", "label")))]
            vectors = table["vector"].combine_chunks().flatten().to_numpy().reshape(-1, dimension)
            store.add_vectors(vectors, [c.text for c in chunks], [c.metadata for c in chunks],
                              [c.id for c in chunks])
            sources.update(zip(table["source"].to_pylist(), table["digest"].to_pylist()))
            batches, pending, first = [], 0, MERGE_ROWS
    for source, digest in sources.items():
        store.docstore.set_source(source, digest)
    return sources


def _split_files(batch: pa.Table, spec: str, chunk_tokens: int, overlap_tokens: int) -> pa.Table:
    """Ray task: the local Indexer's read_file on each file; a skipped file becomes one row with a reason."""
    import pyarrow as pa

    splitter = Splitter(_embedder(spec).count_tokens, chunk_tokens, overlap_tokens)
    rows: list[dict[str, Any]] = []
    for path, source in zip(batch["path"].to_pylist(), batch["source"].to_pylist()):
        _, kind, value = read_file(Path(path), source, None, splitter)
        if kind == "skip":
            rows.append({"source": source, "reason": value})
            continue
        digest, chunks, _ = cast(tuple[str, list[Chunk], object], value)  # kind 'skip' was handled above
        rows.extend({"source": source, "digest": digest, "text": c.text, "page": c.page, "start": c.start,
                     "end": c.end, "label": c.label} for c in chunks)
    return pa.Table.from_pylist(rows, schema=_schema(None))


class _Embed:
    """Ray actor: builds the embedder once, then adds unit float32 vectors to chunk rows (zeros on skipped rows)."""

    def __init__(self, spec: str):
        self.embedder = _embedder(spec)

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        texts = batch["text"].to_pylist()
        keep = np.array([t is not None for t in texts], dtype=bool)
        vectors = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        if keep.any():
            vectors[keep] = self.embedder.embed_array([t for t in texts if t is not None])
        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), self.embedder.dimension)
        return batch.append_column("vector", column)


@functools.lru_cache(maxsize=2)
def _embedder(spec: str) -> VectorEmbeddings:
    """One embedder per worker process and spec, so split tasks reuse a loaded tokenizer."""
    return from_spec(spec)


def _schema(dimension: int | None) -> pa.Schema:
    """Columns of the split rows, plus the vector column once `dimension` is known; explicit so empty blocks agree."""
    import pyarrow as pa

    fields = [("source", pa.string()), ("digest", pa.string()), ("reason", pa.string()), ("text", pa.string()),
              ("page", pa.int64()), ("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())]
    if dimension is not None:
        fields.append(("vector", pa.list_(pa.float32(), dimension)))
    return pa.schema(fields)


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise RagkitError("distributed indexing needs Ray: install ragkit[ray]") from exc
    return ray
