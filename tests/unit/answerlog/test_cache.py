"""The answer cache through KnowledgeBase: a repeated question is a hit marked in the Answer, a re-index misses and
prunes, errors are never cached, and threads and processes share one file safely."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from ragkit import NOT_FOUND, Answer, TextDelta
from ragkit.answerlog import AnswerCache, CacheKey, cache_key
from ragkit.embeddings import VectorEmbeddings
from ragkit.kb import KnowledgeBase
from ragkit.store import AnnVectorStore
from tests.scripted_model import ScriptedChatModel
from tests.unit.answerlog.conftest import QUESTION, REPLY, MakeKB

pytestmark = pytest.mark.unit


def test_a_repeated_question_is_answered_from_the_cache(make_kb: MakeKB):
    kb = make_kb()
    first = kb.ask(QUESTION)
    second = kb.ask("  how many days before departure must FLIGHTS be booked? ")
    assert not first.cached and second.cached and len(kb.llm.calls) == 1
    assert second.text == first.text == REPLY and second.citations == first.citations
    assert second.question == "  how many days before departure must FLIGHTS be booked? "
    assert set(second.timings) == {"cache_s", "total_s"}
    assert first.event_id and second.event_id and first.event_id != second.event_id


def test_no_cache_asks_the_model_and_other_parameters_are_other_answers(make_kb: MakeKB):
    kb = make_kb()
    kb.ask(QUESTION)
    assert not kb.ask(QUESTION, cache=False).cached
    assert not kb.ask(QUESTION, max_tokens=16).cached
    assert len(kb.llm.calls) == 3
    off = make_kb(llm=kb.llm, cache=False)
    assert not off.ask(QUESTION).cached and len(kb.llm.calls) == 4
    assert len(kb.answers.cache) == 2  # QUESTION and QUESTION with max_tokens=16; cache=False stored nothing


def test_a_reindex_is_a_miss_and_prunes_the_old_generation(make_kb: MakeKB, tmp_path: Path):
    kb = make_kb()
    kb.ask(QUESTION)
    kb.ask("Who approves travel?")
    assert len(kb.answers.cache) == 2 and kb.ask(QUESTION).cached
    extra = tmp_path / "extra" / "parking.md"
    extra.parent.mkdir()
    extra.write_text("Parking is behind the lab; permits cost 5 euros a month.")
    before = kb.manifest().generation
    kb.index([tmp_path / "extra"])
    assert kb.manifest().generation != before
    again = kb.ask(QUESTION)
    assert not again.cached and len(kb.llm.calls) == 3
    assert len(kb.answers.cache) == 1  # the old generation's rows are gone
    assert kb.ask(QUESTION).cached


def test_another_process_reindexing_invalidates_this_ones_cache(make_kb: MakeKB, hashing, tmp_path: Path):
    kb = make_kb()
    kb.ask(QUESTION)
    extra = tmp_path / "extra.md"
    extra.write_text("Parking is behind the lab.")
    KnowledgeBase(path=kb.directory, embedder=hashing).index([extra])  # another KnowledgeBase: nothing is shared
    assert not kb.ask(QUESTION).cached


def test_stream_of_a_hit_is_the_whole_text_then_the_answer(make_kb: MakeKB):
    kb = make_kb()
    streamed = list(kb.stream(QUESTION))
    assert len(streamed) > 2 and not streamed[-1].cached
    hit = list(kb.stream(QUESTION))
    assert hit[0] == TextDelta(REPLY) and isinstance(hit[1], Answer) and hit[1].cached and len(hit) == 2


async def test_async_paths_share_the_cache(make_kb: MakeKB):
    kb = make_kb()
    first = await kb.aask(QUESTION)
    second = await kb.aask(QUESTION)
    streamed = [event async for event in kb.astream(QUESTION)]
    assert not first.cached and second.cached and streamed[-1].cached and len(streamed) == 2
    assert kb.ask(QUESTION).cached and len(kb.llm.calls) == 1


def test_not_found_answers_are_cached(make_kb: MakeKB):
    kb = make_kb()
    first = kb.ask("zzqx vvkw")
    second = kb.ask("ZZQX  vvkw")
    assert not first.found and first.text == NOT_FOUND and second.cached and not second.found
    assert kb.llm.calls == []


def test_errors_are_never_cached(make_kb: MakeKB):
    failing = {"on": True}

    def reply(prompt: str, params: dict) -> str:
        if failing["on"]:
            raise RuntimeError("model crashed")
        return REPLY

    kb = make_kb(llm=ScriptedChatModel(reply=reply))
    with pytest.raises(RuntimeError, match="model crashed"):
        kb.ask(QUESTION)
    assert len(kb.answers.cache) == 0
    failing["on"] = False
    assert not kb.ask(QUESTION).cached and kb.ask(QUESTION).cached


def test_chinese_questions_hit_across_width_and_spacing(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "员工手册.md").write_text("# 年假\n员工每年享有十五天带薪年假。病假需要医生证明。\n", encoding="utf-8")
    kb = KnowledgeBase(path=tmp_path / "zh", embedder=hashing, llm=ScriptedChatModel.saying("十五天 [1]"))
    kb.index([docs])
    first = kb.ask("员工每年有几天带薪年假？")
    second = kb.ask("员工 每年有几天带薪年假?")
    other = kb.ask("员工每年有几天病假？")
    assert not first.cached and second.cached and not other.cached
    assert second.text == first.text and len(kb.llm.calls) == 2


def test_an_unwritable_cache_never_stops_an_answer(make_kb: MakeKB, caplog):
    kb = make_kb()
    kb.answers.cache.path.mkdir()  # a directory where the database should be: every use fails
    first, second = kb.ask(QUESTION), kb.ask(QUESTION)
    assert first.text == second.text == REPLY and not second.cached and len(kb.llm.calls) == 2
    assert "could not read the answer cache" in caplog.text


def test_threads_share_one_cache(make_kb: MakeKB):
    kb = make_kb()
    questions = [f"{QUESTION} ({n % 4})" for n in range(16)]
    answers: list[Answer] = []
    errors: list[BaseException] = []

    def ask(question: str) -> None:
        try:
            answers.append(kb.ask(question))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(answers) == 16
    assert len(kb.answers.cache) == 4 and all(kb.ask(q).cached for q in set(questions))
    assert len({a.event_id for a in answers}) == 16


def _key(kb: KnowledgeBase, question: str) -> CacheKey:
    return cache_key(kb.manifest().generation, question, kb.retrieval, kb.llm, kb.chain().prompt, {})


def _writer(directory: str, key: object, answer: Answer, rounds: int) -> None:
    cache = AnswerCache(Path(directory))
    for _ in range(rounds):
        cache.put(key, answer)  # type: ignore[arg-type]
        assert cache.get(key) is not None  # type: ignore[arg-type]


def test_processes_share_one_cache(make_kb: MakeKB):
    kb = make_kb()
    answer = kb.ask(QUESTION)
    keys = [_key(kb, f"question {n}") for n in range(3)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(kb.directory), key, answer, 30)) for key in keys]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(kb.answers.cache) == 4 and all(kb.answers.cache.get(key) for key in keys)


def test_the_cache_keeps_the_most_recently_used_rows(make_kb: MakeKB):
    kb = make_kb()
    answer = kb.ask(QUESTION)
    cache = AnswerCache(kb.directory, max_rows=3)
    keys = [_key(kb, f"question {n}") for n in range(5)]
    for key in keys:
        cache.put(key, answer)
    assert len(cache) == 3 and cache.get(keys[0]) is None and cache.get(keys[4]) is not None


def test_an_answer_that_is_not_json_data_is_answered_but_not_cached(make_kb: MakeKB, caplog):
    kb = make_kb()
    answer = kb.ask(QUESTION)
    key = _key(kb, "another question")
    kb.answers.cache.put(key, replace(answer, prompt={"odd": {1, 2}}))
    assert kb.answers.cache.get(key) is None and "answer not cached" in caplog.text


def test_a_hit_loads_neither_the_index_nor_the_embedder(make_kb: MakeKB, monkeypatch: pytest.MonkeyPatch):
    kb = make_kb()
    kb.ask(QUESTION)
    loads: list[object] = []
    monkeypatch.setattr(AnnVectorStore, "load", lambda *args, **kwargs: loads.append(args))
    fresh = KnowledgeBase(path=kb.directory, embedder="hashing:999", llm=kb.llm,  # what `ragkit ask` does again
                          retrieval=kb.retrieval)
    assert fresh.ask(QUESTION).cached and loads == []
    assert not isinstance(fresh._embedder, VectorEmbeddings)  # still the spec: never loaded
