"""Answer quality of the default pipeline (hybrid retrieval, the default model, the grounding guardrail) as a user
meets it: the outcome breakdown of ragkit.eval.breakdown on knowledge bases built from files.

Sets: `squad`, SQuAD v1.1 part A (../shared/data/squad) with some articles written as files (8 paragraphs each),
2 questions of each and 12 questions of other articles (to be refused); `zh`, the Chinese example knowledge base
examples/kb-zh with the questions of benchmarks/answer_quality_zh.jsonl (12 answerable, 6 to be refused);
`zh-seed`, the paragraphs of tests/data/zh/kb.json as files with their 33 questions and 12 to be refused. Each set
also gets its questions of benchmarks/answer_quality_refusal.jsonl (written for the refusal checks: misspelled
names and terms that must still be answered, and out-of-KB questions, many asking for a number the model could
make up), counted apart as "new".

    .venv/bin/python benchmarks/answer_quality.py --out /tmp/aq             # ask the model, save breakdown JSON
    .venv/bin/python benchmarks/answer_quality.py --replay /tmp/aq/squad/rows.jsonl  # today's guardrail, saved replies

Replay re-runs the guardrail and the citation code on the saved replies and passages (no model call), so a
guardrail change is measured before and after on the very same replies. The model's replies are also kept by
prompt in --out's replies.json (decoding is greedy: the same prompt gets the same reply), so a stopped run resumes
where it was, and a run after a change of the refusal checks asks the model only the prompts that changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from ragkit.text import detect_language

REPO = Path(__file__).resolve().parents[1]
ZH_QUESTIONS = REPO / "benchmarks" / "answer_quality_zh.jsonl"
ZH_KB = REPO / "examples" / "kb-zh"
ZH_SEED = REPO / "tests" / "data" / "zh" / "kb.json"
NEW_QUESTIONS = REPO / "benchmarks" / "answer_quality_refusal.jsonl"


class RecordedReplies(BaseChatModel):
    """The wrapped model, its replies kept by prompt in a JSON file: a prompt asked before is answered from there."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    path: Path
    replies: dict[str, str] = {}

    @property
    def _llm_type(self) -> str:
        return "recorded-replies"

    @property
    def model_name(self) -> str:
        return str(getattr(self.inner, "model_name", type(self.inner).__name__))

    def model_post_init(self, context: Any) -> None:
        if self.path.is_file():
            self.replies = json.loads(self.path.read_text(encoding="utf-8"))

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        key = hashlib.sha256(json.dumps([[m.type, m.text] for m in messages] + [sorted(kwargs.items())],
                                        ensure_ascii=False).encode()).hexdigest()
        if key in self.replies:
            yield ChatGenerationChunk(message=AIMessageChunk(content=self.replies[key]))
            return
        parts = []
        for chunk in self.inner.stream(messages, stop=stop, **kwargs):
            parts.append(chunk.text)
            yield ChatGenerationChunk(message=AIMessageChunk(content=chunk.text,
                                                             response_metadata=chunk.response_metadata))
        self.replies[key] = "".join(parts)
        partial = self.path.with_suffix(".part")  # written whole, then renamed: a run stopped mid-write loses nothing
        partial.write_text(json.dumps(self.replies, ensure_ascii=False), encoding="utf-8")
        partial.replace(self.path)


def new_items(which: str) -> list[Any]:
    """The questions of NEW_QUESTIONS written for a set."""
    from ragkit.eval.qa import QAItem

    records = [json.loads(line) for line in NEW_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [QAItem(r["question"], tuple(r["answers"]), r.get("source")) for r in records if r["set"] == which]


def seed_set(tmp: Path) -> tuple[list[Path], list[Any]]:
    """tests/data/zh/kb.json's paragraphs written as files, its questions and the ones it cannot answer."""
    from ragkit.eval.qa import QAItem

    data = json.loads(ZH_SEED.read_text(encoding="utf-8"))
    (tmp / "zh-seed").mkdir(parents=True, exist_ok=True)
    files, items = [], []
    for paragraph in data["paragraphs"]:
        files.append(tmp / "zh-seed" / f"{paragraph['id']}.txt")
        files[-1].write_text(paragraph["text"], encoding="utf-8")
        items += [QAItem(q["q"], (q["a"],), files[-1].name) for q in paragraph["questions"]]
    return files, items + [QAItem(q, ()) for q in data["unanswerable"]]


def _kb_run(name: str, files: list[Path], items: list[Any], tmp: Path, out: Path,
            limit: int | None) -> tuple[Any, str]:
    """Index the files with the defaults and ask every question, each row appended to out/rows.jsonl as it comes
    (a long run stopped half-way keeps what it asked); (breakdown, embedder spec)."""
    from ragkit.eval.breakdown import answer_row, summarize
    from ragkit.kb import KnowledgeBase, shared_chat_model

    out.mkdir(parents=True, exist_ok=True)
    replies = RecordedReplies(inner=shared_chat_model("llamacpp", None), path=out / "replies.json")
    kb = KnowledgeBase(path=tmp / f"{name}-index", llm=replies, cache=False, events=False)
    started = time.perf_counter()
    report = kb.index(files)
    print(f"{name}: indexed {len(files)} files, {report.chunks} chunks, embedder {kb.embedder.spec}, "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    (out / "settings.json").write_text(json.dumps({"set": name, "embedder": kb.embedder.spec}) + "\n")
    rows = []
    new = {item.question for item in new_items(name)}
    with (out / "rows.jsonl").open("w", encoding="utf-8") as log:
        for item in random.Random(0).sample(items, len(items))[:limit]:  # shuffled: a partial run has both kinds
            answer = kb.ask(item.question)
            rows.append({**answer_row(answer, item), "new": item.question in new, "warnings": answer.warnings})
            log.write(json.dumps(rows[-1], ensure_ascii=False) + "\n")
            log.flush()
            print(f"  {answer.timings.get('total_s', 0):5.1f}s {rows[-1]['outcome']:30s} {item.question[:50]!r} -> "
                  f"{answer.text[:70]!r}", flush=True)
    for new in (False, True):
        for answerable in (True, False):
            part = [r for r in rows if r["new"] == new and bool(r["gold"]) == answerable]
            print(f"{name} {'new' if new else 'given'} {'answerable' if answerable else 'out-of-KB'}: "
                  f"{sum(r['refused'] for r in part)} of {len(part)} refused", flush=True)
    return summarize(name, rows), kb.embedder.spec


def run(sets: list[str], out: Path, indexed: int, unanswerable: int, seed: int, limit: int | None) -> int:
    from ragkit.eval.breakdown import table_lines, write_breakdown
    from ragkit.eval.data import shared_data_or_say
    from ragkit.eval.kbset import squad_kb_set
    from ragkit.eval.qa import jsonl_items
    from ragkit.eval.squad import load_squad

    results = []
    with tempfile.TemporaryDirectory(prefix="ragkit-aq-") as name:
        tmp = Path(name)
        for which in sets:
            if which == "squad":
                squad = shared_data_or_say("squad")
                if squad is None:
                    continue
                kb_set = squad_kb_set(load_squad(squad / "dev-v1.1-part-a.json"), indexed, 2, unanswerable, 8, seed)
                files, items = kb_set.write(tmp / "squad"), kb_set.items
            elif which == "zh":
                files, items = sorted(ZH_KB.iterdir()), jsonl_items(ZH_QUESTIONS)
            else:
                files, items = seed_set(tmp)
            names = {f.name for f in files}  # a new question about an article left out of this draw is skipped
            items += [i for i in new_items(which) if i.gold is None or i.gold in names]
            result, spec = _kb_run(which, files, items, tmp, out / which, limit)
            write_breakdown([result], out / which, {"set": which, "embedder": spec, "indexed": indexed,
                                                    "unanswerable": unanswerable, "seed": seed})
            results.append(result)
            print("\n".join(table_lines([result])), flush=True)
    print("\n".join(table_lines(results)))
    return 0


def replay(path: Path) -> int:
    """The saved rows (a run's rows.jsonl, with settings.json beside it) judged again after today's guardrail and
    citation code re-process the saved replies."""
    from langchain_core.language_models import FakeListChatModel
    from langchain_core.retrievers import BaseRetriever

    from ragkit import Answer, Citation, RagChain
    from ragkit.embeddings import from_spec
    from ragkit.eval.breakdown import answer_row, summarize, table_lines
    from ragkit.eval.qa import QAItem

    settings = json.loads((path.parent / "settings.json").read_text(encoding="utf-8"))
    saved_rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    embedder = from_spec(settings["embedder"])

    class _Nothing(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Any]:
            return []

    chain = RagChain(retriever=_Nothing(), llm=FakeListChatModel(responses=[""]), embedder=embedder)
    rows = []
    for row in saved_rows:
        item = QAItem(row["question"], tuple(row["gold"]), row["source"])
        passages = [Citation(p["n"], p["source"], 1, 0, len(p["text"]), p["chunk_id"], p["score"], p["text"])
                    for p in row["passages"]]
        if not row["found"]:
            answer = Answer(item.question, row["answer"], [], [], "none", {}, {"total_s": row["seconds"]}, found=False)
        else:
            clean, warnings = chain._screen(passages)
            answer = chain._finish(item.question, row["generated"], passages, clean, warnings, time.perf_counter(),
                                   {"retrieve_s": 0.0})
            answer.timings["total_s"] = row["seconds"]
        rows.append(answer_row(answer, item))
    recorded, after = summarize(f"{settings['set']} saved", saved_rows), summarize(f"{settings['set']} now", rows)
    print("\n".join(table_lines([recorded, after])))
    for old, new in zip(saved_rows, rows):
        if old["outcome"] != new["outcome"] or old["answer"] != new["answer"]:
            print(f"- {old['question'][:70]!r}: {old['outcome']} -> {new['outcome']}\n"
                  f"    gold {old['gold'][:2]} reply {old['generated'][:100]!r}\n"
                  f"    now {new['answer'][:120]!r} ({new['replaced_because']})")
    return 0


REFUSAL_CHECKS = {
    "cosine threshold alone": {"min_relevance": None, "require_names": False},
    "+ names": {"min_relevance": None},
    "+ least relevance": {"require_names": False},
    "+ least relevance + names (default)": {},
}
"""The refusal checks compared by refusal_study, as RefusalSettings overrides."""


def _refused(kb: Any, questions: list[str]) -> dict[str, list[bool]]:
    """Per check set, whether the default chain refuses each question before the model (retrieval only)."""
    from ragkit.settings import RefusalSettings

    language = detect_language(questions[0])
    chains = {name: kb.chain(None, language, refusal=RefusalSettings(**over)) for name, over in REFUSAL_CHECKS.items()}
    return {name: [not chain.retrieve(q) for q in questions] for name, chain in chains.items()}


def refusal_study(folds: int, tmp: Path) -> int:
    """Share of out-of-KB and answerable questions each set of refusal checks refuses, retrieval only (no model):
    over `folds` seeds of SQuAD part A (18 articles as files, 20 questions each, 48 of other articles), and the
    Chinese set (tests/data/zh/kb.json paragraphs as files) with its unanswerable questions."""
    from ragkit.eval.data import shared_data_or_say
    from ragkit.eval.kbset import squad_kb_set
    from ragkit.eval.squad import load_squad
    from ragkit.kb import KnowledgeBase

    sets: dict[str, tuple[list[bool], dict[str, list[bool]]]] = {}
    squad = shared_data_or_say("squad")
    for fold in range(folds if squad else 0):
        kb_set = squad_kb_set(load_squad(squad / "dev-v1.1-part-a.json"), 18, 20, 48, 8, seed=fold)  # type: ignore[operator]
        kb = KnowledgeBase(path=tmp / f"fold{fold}", cache=False, events=False)
        kb.index(kb_set.write(tmp / f"fold{fold}-docs"))
        answerable, refused = sets.setdefault("squad", ([], {name: [] for name in REFUSAL_CHECKS}))
        answerable += [bool(i.answers) for i in kb_set.items]
        for name, flags in _refused(kb, [i.question for i in kb_set.items]).items():
            refused[name] += flags
    data = json.loads((REPO / "tests" / "data" / "zh" / "kb.json").read_text(encoding="utf-8"))
    (tmp / "zh-docs").mkdir()
    for paragraph in data["paragraphs"]:
        (tmp / "zh-docs" / f"{paragraph['id']}.txt").write_text(paragraph["text"], encoding="utf-8")
    kb = KnowledgeBase(path=tmp / "zh", cache=False, events=False)
    kb.index([tmp / "zh-docs"])
    asked = [(True, q["q"]) for p in data["paragraphs"] for q in p["questions"]]
    asked += [(False, q) for q in data["unanswerable"]]
    sets["zh"] = ([a for a, _ in asked], _refused(kb, [q for _, q in asked]))
    for name, (answerable, refused) in sets.items():
        inside, outside = answerable.count(True), answerable.count(False)
        print(f"\n{name}: {inside} answerable, {outside} out-of-KB questions\n"
              f"{'checks':40s}{'out-of-KB refused':>20s}{'answerable refused':>20s}")
        for check, flags in refused.items():
            out = sum(f for f, a in zip(flags, answerable) if not a)
            inn = sum(f for f, a in zip(flags, answerable) if a)
            print(f"{check:40s}{out / outside:>13.1%} ({out:3d}){inn / inside:>13.1%} ({inn:3d})")
    return 0


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["squad", "zh", "zh-seed", "all"], default="all")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ragkit-answer-quality")
    parser.add_argument("--indexed", type=int, default=20, help="SQuAD articles indexed (part A has 24).")
    parser.add_argument("--unanswerable", type=int, default=12, help="SQuAD questions of the other articles.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="Ask only the first N questions of each set.")
    parser.add_argument("--replay", type=Path, default=None, help="A saved rows.jsonl to judge again.")
    parser.add_argument("--refusal", type=int, default=0, help="Study refusal signals over N folds (no model).")
    args = parser.parse_args()
    if args.refusal:
        with tempfile.TemporaryDirectory(prefix="ragkit-refusal-") as tmp:
            return refusal_study(args.refusal, Path(tmp))
    if args.replay is not None:
        return replay(args.replay)
    sets = ["squad", "zh", "zh-seed"] if args.set == "all" else [args.set]
    return run(sets, args.out, args.indexed, args.unanswerable, args.seed, args.limit)


if __name__ == "__main__":
    sys.exit(main())
