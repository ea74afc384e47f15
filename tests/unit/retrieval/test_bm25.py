"""BM25 retrieval: stemming, filters that still return k, persistence without pickle, staleness."""

from pathlib import Path

import numpy as np
import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import IndexFormatError
from ragkit.retrieval import BM25Index, BM25Retriever, load_bm25, save_bm25
from ragkit.retrieval.bm25 import BM25_DIR
from ragkit.store import AnnVectorStore
from ragkit.store.persist import read_manifest

pytestmark = pytest.mark.unit

TEXTS = [
    "Cats are running across the garden chasing mice.",
    "A dog barks at the postman every morning.",
    "Stock markets fell sharply on Monday.",
    "The runner ran a marathon in record time.",
]


@pytest.fixture()
def store() -> AnnVectorStore:
    many = TEXTS + [f"garden note {i}: roses and tulips grow here" for i in range(40)]
    metadatas = [{"source": "pets.md" if i < 2 else ("news.md" if i < 4 else f"garden{i % 4}.md")}
                 for i in range(len(many))]
    return AnnVectorStore.from_texts(many, HashingEmbeddings(64), metadatas, ids=[f"c{i}" for i in range(len(many))])


def test_stemming_matches_inflected_forms(store: AnnVectorStore) -> None:
    docs = BM25Retriever(store=store, k=2).invoke("cat run")
    assert docs[0].id == "c0"
    assert docs[0].metadata["score"] > 0


def test_stopword_only_query_returns_nothing(store: AnnVectorStore) -> None:
    assert BM25Retriever(store=store).invoke("the and of") == []


def test_filter_returns_k_hits_when_k_match(store: AnnVectorStore) -> None:
    retriever = BM25Retriever(store=store, k=5, filter={"source": "garden1.md"})
    docs = retriever.invoke("garden roses")
    assert len(docs) == 5
    assert {d.metadata["source"] for d in docs} == {"garden1.md"}
    assert retriever.invoke("garden", filter={"source": "nowhere.md"}) == []


def _saved_bm25(store: AnnVectorStore, directory: Path) -> Path:
    store.save(directory)
    save_bm25(store, directory)
    return directory / read_manifest(directory).generation / BM25_DIR


def test_save_and_load_use_no_pickle(store: AnnVectorStore, tmp_path: Path) -> None:
    saved = _saved_bm25(store, tmp_path)
    files = {p.name for p in saved.iterdir()}
    assert not any(name.endswith((".pkl", ".pickle")) for name in files)
    index = BM25Index.load(saved)
    assert len(index) == len(store)
    assert BM25Retriever(store=store, index=load_bm25(store, tmp_path), k=1).invoke("marathon runner")[0].id == "c3"


def test_saved_files_are_in_the_generation_and_checked_against_the_manifest(store: AnnVectorStore,
                                                                          tmp_path: Path) -> None:
    saved = _saved_bm25(store, tmp_path)
    listed = read_manifest(tmp_path).files
    assert {f"{BM25_DIR}/{p.name}" for p in saved.iterdir()} <= set(listed) and not (tmp_path / BM25_DIR).exists()
    rows = saved / "rows.npy"
    np.save(rows, np.load(rows)[::-1])
    with pytest.raises(IndexFormatError, match="is damaged"):
        load_bm25(store, tmp_path)


def test_out_of_date_index_is_rebuilt(store: AnnVectorStore, tmp_path: Path) -> None:
    saved = _saved_bm25(store, tmp_path)
    store.add_texts(["Quantum entanglement of photons."], [{"source": "physics.md"}], ids=["q"])
    assert load_bm25(store, tmp_path).fingerprint != BM25Index.load(saved).fingerprint
    stale = BM25Retriever(store=store, index=BM25Index.load(saved), k=1)
    assert stale.invoke("photon entanglement")[0].id == "q"
    store.delete(["c0"])
    assert all(d.id != "c0" for d in stale.invoke("cats chasing mice", k=5))


ZH_TEXTS = [
    "大熊猫主要生活在四川、陕西和甘肃的山区竹林中，成年大熊猫一天能吃掉十二到三十八公斤竹子。",
    "数据中心每天凌晨两点对业务数据库做一次全量备份，备份文件保存在异地机房。",
    "使用Python的FAISS库建立向量索引，查询时计算余弦相似度。",
    "The runner was running a marathon; 选手们在滨海马拉松中奔跑。",
]


@pytest.fixture()
def zh_store() -> AnnVectorStore:
    return AnnVectorStore.from_texts(ZH_TEXTS, HashingEmbeddings(64), [{"source": f"zh{i}.md"} for i in range(4)],
                                       ids=[f"z{i}" for i in range(4)])


def test_chinese_query_matches_a_document_sharing_words(zh_store: AnnVectorStore) -> None:
    retriever = BM25Retriever(store=zh_store, k=2)
    assert retriever.invoke("大熊猫每天吃多少竹子？")[0].id == "z0"
    assert retriever.invoke("数据库备份保存在哪里")[0].id == "z1"
    assert retriever.invoke("的了是在") == []  # Chinese stopwords only


def test_mixed_chinese_and_english_with_stemming(zh_store: AnnVectorStore) -> None:
    retriever = BM25Retriever(store=zh_store, k=1)
    assert retriever.invoke("faiss 向量索引")[0].id == "z2"
    assert retriever.invoke("runs 马拉松")[0].id == "z3"


def test_chinese_index_round_trips_and_an_old_tokenizer_is_rebuilt(zh_store: AnnVectorStore,
                                                                    tmp_path: Path) -> None:
    from ragkit.retrieval.bm25 import TOKENIZER, build_bm25
    from ragkit.store import persist

    zh_store.save(tmp_path)
    save_bm25(zh_store, tmp_path)
    loaded = load_bm25(zh_store, tmp_path)
    assert loaded.tokenizer == TOKENIZER
    assert BM25Retriever(store=zh_store, index=loaded, k=1).invoke("全量备份")[0].id == "z1"
    old = build_bm25(zh_store)
    old.tokenizer = ""  # as saved before Chinese segmentation: whole Chinese sentences were single tokens
    persist.extend_generation(tmp_path, {BM25_DIR: old.save})
    assert load_bm25(zh_store, tmp_path).tokenizer == TOKENIZER
