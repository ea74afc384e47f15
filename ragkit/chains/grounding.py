"""Grounding guardrail: a reply stating what no retrieved passage says is replaced by the passage sentence that
answers the question.

Two lexical checks, no model, so it runs after every model's answer: the facts a wrong reply usually gets wrong
(numbers and dates, in digits, English words or Chinese numerals; capitalized names) must occur in some passage
(or the question), and most of the reply's other content words (Snowball-stemmed; Chinese segmented) must too.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from ragkit.text import (
    CHINESE_STOPWORDS,
    ENGLISH_FUNCTION_WORDS,
    detect_language,
    is_han,
    sentences,
    slip_of,
    words,
)

__all__ = ["ANSWER_TERMS", "NAMES_RELEVANCE", "SUPPORT_THRESHOLD", "SUPPORT_THRESHOLD_EN", "answers_question",
           "asked_share", "best_sentence", "content_words", "ground", "missing_names", "numbers", "quote_units",
           "sentences", "support", "table_records", "threshold_for", "unbacked_numbers", "unsupported"]

SUPPORT_THRESHOLD = 0.75
"""Share of a Chinese reply's content words (numbers aside) that must occur in the passages: with no names to
check, a wrong Chinese claim (清朝 for 明朝) differs from its passage by one word of three or four."""
SUPPORT_THRESHOLD_EN = 0.6
"""The same for other replies, whose numbers and names are checked on their own and whose words are compared by
stem: paraphrases ('never came back' for 'never returned') keep 60-70% of their words."""
NAMES_RELEVANCE = 0.8
"""Relevance (HybridRetriever.relevance) under which a name no passage mentions refuses the question:
on SQuAD part A (3 seeds x 18 articles as files, no model) names refuse as many out-of-KB questions past the
least relevance at 0.8 as at any value (91.7% in all) and fewer answerable ones (2.5% vs 4.2% before slips were
forgiven, 1.9% after: benchmarks/answer_quality.py --refusal 3): a question whose terms one sentence holds is
about that sentence, whatever else it names ("... Super Bowl 50 in the United States?")."""
_CITATION = re.compile(r"\s*[\[［]\d+(?:\s*[,，]\s*\d+)*[\]］]")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_CELL_BORDER = re.compile(r"(?<!\\)\|")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_HAN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_UNITS = frozenset("个天年月日号时分秒元角位次名人岁周倍米里层楼条项台座本件张届度克斤公升吨%")
"""Chinese measure words and units: a single numeral before one of them is a number (一 elsewhere is mostly part
of a word, 统一, 一起)."""
_DIGITS_UNIT = re.compile(rf"(\d+(?:\.\d+)?)\s?([{''.join(sorted(_UNITS - {'%'}))}])")
"""A number in digits and the Chinese unit after it ('10天', '450 元'): ten days is not ten minutes."""
_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_EN_NUMBER = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_EN_NUMBER.update({w: 10 * i for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)})
_EN_NUMBER.update({"first": 1, "third": 3, "fourth": 4, "fifth": 5, "half": 2, "twice": 2, "once": 1,
                   "dozen": 12, "hundred": 100, "thousand": 1000, "million": 1000000, "billion": 1000000000})
_LOOSE_NUMBERS = frozenset({"one", "once", "first", "half"})
"""Number words that are mostly not numbers in a reply ('the one who', 'first of all'): a passage's count as
numbers, a reply's are not checked."""
_META_WORDS = frozenset([
    "according", "passage", "passages", "document", "documents", "text", "context", "mentioned", "mentions",
    "states", "stated", "says", "said", "answer", "question", "provided", "given", "information", "based",
    "source", "sources", "refer", "refers", "described", "indicates", "article", "文档", "段落", "根据", "提到",
    "资料", "原文", "信息", "回答", "问题", "所述", "显示",
])
"""Words a reply uses about the passages rather than from them: never evidence against it."""
_IGNORED = ENGLISH_FUNCTION_WORDS | _META_WORDS | CHINESE_STOPWORDS
_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _key(word: str) -> str:
    """A word as compared: Snowball stem for Latin words, the word itself for Chinese ones."""
    return word if is_han(word) else _stemmer().stemWord(word)


def _is_number_word(word: str) -> bool:
    return bool(_DIGITS.fullmatch(word)) or word in _EN_NUMBER or bool(_HAN_NUMERAL.search(word))


def content_words(text: str) -> list[str]:
    """Lower-cased words (Chinese segmented) without citation marks, function words or words about the
    passages ('according', 'passage', '根据')."""
    return [w for w in words(_CITATION.sub(" ", text)) if w not in _IGNORED]


def _chinese_value(numeral: str) -> int | None:
    """The value of a Chinese numeral ('十四' 14, '一百二十' 120, '两万' 20000, '二〇一九' 2019)."""
    if all(ch in _ZH_DIGIT for ch in numeral):
        return int("".join(str(_ZH_DIGIT[ch]) for ch in numeral)) if len(numeral) > 1 else _ZH_DIGIT[numeral]
    total, section, digit = 0, 0, None
    for ch in numeral:
        if ch in _ZH_DIGIT:
            digit = _ZH_DIGIT[ch]
        elif ch in _ZH_UNIT:
            section += (1 if digit is None else digit) * _ZH_UNIT[ch]
            digit = None
        elif ch in "万亿":
            total += (section + (digit or 0)) * (10000 if ch == "万" else 100000000)
            section, digit = 0, None
    return total + section + (digit or 0)


def numbers(text: str, loose: bool = True) -> set[str]:
    """The numbers a text states, as digit strings: digits ('1,000' is 1000), English number words ('three',
    'twenty-five'), Chinese numerals ('十四天' 14); `loose` also counts 'one', 'first', 'half' and the like."""
    text = _THOUSANDS.sub("", _CITATION.sub(" ", text))
    found = {str(float(n)).removesuffix(".0") for n in _DIGITS.findall(text)}
    lowered = text.lower()
    for compound in re.findall(r"\b([a-z]+)-([a-z]+)\b", lowered):
        if all(part in _EN_NUMBER for part in compound):
            found.add(str(sum(_EN_NUMBER[part] for part in compound)))
            lowered = lowered.replace("-".join(compound), " ")
    for word in re.findall(r"[a-z]+", lowered):
        if word in _EN_NUMBER and (loose or word not in _LOOSE_NUMBERS):
            found.add(str(_EN_NUMBER[word]))
    for match in _HAN_NUMERAL.finditer(text):
        numeral, after = match.group(), text[match.end() : match.end() + 1]
        if len(numeral) > 1 or after in _UNITS or numeral in _ZH_UNIT:
            value = _chinese_value(numeral)
            if value is not None:
                found.add(str(value))
                if after in _UNITS:
                    found.add(f"{value}{after}")
    for number, unit in _DIGITS_UNIT.findall(text):
        found.add(f"{str(float(number)).removesuffix('.0')}{unit}")
    return found


def _names(text: str) -> list[str]:
    """Capitalized words of a reply that are not at the start of a sentence (names, places, titles)."""
    text = _CITATION.sub(" ", text)
    out = []
    for match in _NAME.finditer(text):
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in ".!?:;\"'(“‘。！？：；（"
        parts = [p for p in match.group().split()[1 if first else 0 :] if p.lower() not in _IGNORED]
        if parts:
            out.append(" ".join(parts))
    return out


def missing_names(question: str, passages: Sequence[str], slips: bool = True) -> list[str]:
    """Names the question asks about (capitalized words past its first, e.g. 'Super Bowl 50', 'Goodell') that
    no passage mentions, compared by stem without accents ('Gospic' is 'Gospić'), and with `slips` forgiving a
    misspelling (ragkit.text.slip_of: 'Ghandi' is 'Gandhi'); one-letter pieces ('s') aside. A question about a
    name its passages never mention is about something else than they are; a slip is no sign of another topic."""
    known = {_folded(w) for text in passages for w in words(text)}
    known_keys = {_key(w) for w in known}
    missing = []
    for name in _names(question):
        parts = [_folded(w) for w in words(name) if w not in _IGNORED and len(w) > 1]
        if parts and not all(w in known or _key(w) in known_keys or (slips and slip_of(w, known)) for w in parts):
            missing.append(name)
    return missing


def _folded(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch))


def threshold_for(answer: str) -> float:
    """The support threshold of a reply: SUPPORT_THRESHOLD for Chinese ones, else SUPPORT_THRESHOLD_EN."""
    return SUPPORT_THRESHOLD if detect_language(answer) != "en" else SUPPORT_THRESHOLD_EN


def unsupported(answer: str, passages: Sequence[str], question: str = "", threshold: float | None = None) -> str:
    """Why no passage backs the answer ('' when they do): a number (with its Chinese unit: unbacked_numbers), date
    or name in it is in no passage nor in the question, or fewer of its content words than `threshold` (default: threshold_for)
    are in the passages."""
    evidence = "\n".join([*passages, question])
    missing = unbacked_numbers(answer, evidence)
    if missing:
        return f"the number {missing[0]} is in no passage"
    known = {w.lower() for w in words(evidence)}
    known_keys = {_key(w) for w in known}
    for name in _names(answer):
        parts = [w for w in words(name) if w not in _IGNORED]
        if parts and not any(w in known or _key(w) in known_keys for w in parts):
            return f"the name {name} is in no passage"
    share = support(answer, evidence)
    if share < (threshold_for(answer) if threshold is None else threshold):
        return f"only {share:.0%} of its words are in the passages"
    return ""


def unbacked_numbers(answer: str, evidence: str) -> list[str]:
    """The numbers the answer states that the evidence does not, shortest first; a number in a Markdown table cell
    backs itself with any Chinese unit (a table states its unit once, in the header: '单价（元）' over 83.92 backs
    '83.92元')."""
    missing = numbers(answer, loose=False) - numbers(evidence)
    if any(n[-1:] in _UNITS for n in missing):  # only then read the tables (support() runs this per passage)
        in_cells = {n for record in table_records(evidence) for n in numbers(record)}
        missing = {n for n in missing if not (n[-1:] in _UNITS and n[:-1] in in_cells)}
    return sorted(missing, key=len)


def support(answer: str, passage: str) -> float:
    """Share of the answer's content words (numbers aside) that occur in the passage, compared by stem (1.0 for
    an answer with none); a Chinese word weighs its length in characters and also counts when the passage
    contains its character pairs however it was segmented there. An answer stating a number the passage lacks
    has none."""
    if unbacked_numbers(answer, passage):
        return 0.0
    said = content_words(answer)
    answer_words = [w for i, w in enumerate(said) if not _is_number_word(w)  # a number's unit is checked with it
                    and not (w in _UNITS and i and _is_number_word(said[i - 1]))]
    if not answer_words:
        return 1.0
    present = {_key(w) for w in content_words(passage)}
    weights = [len(w) if is_han(w) else 1 for w in answer_words]
    found = [1.0 if _key(w) in present else _bigram_share(w, passage) if is_han(w) else 0.0 for w in answer_words]
    return sum(weight * share for weight, share in zip(weights, found)) / sum(weights)


def _bigram_share(word: str, passage: str) -> float:
    """Share of a Chinese word's character pairs found in the passage: jieba cuts the same text differently in
    a reply and in its passage ('会锁屏' against '会 自动 锁屏'), so a word is credited for the pairs it shares."""
    pairs = [word[i : i + 2] for i in range(len(word) - 1)]
    return sum(pair in passage for pair in pairs) / len(pairs) if pairs else 0.0


_ASKS_NUMBER = re.compile(r"\b(how (many|much|long|old|far|large|big|tall|often)|what (year|percentage|number|"
                          r"date)|when|which year)\b|多少|几|哪一?年|什么时候|多久|多长|多大|多远|何时", re.IGNORECASE)
_ASKS_NAME = re.compile(r"\b(who|whom|whose)\b|谁", re.IGNORECASE)


def _answers_kind(question: str, sentence: str) -> float:
    """1 when the sentence holds the kind of thing the question asks for that the question does not (a number
    for 'how many', 'when', '多少'; a name for 'who', '谁'), 0 when it does not, 0.5 when the question asks for
    neither."""
    if _ASKS_NUMBER.search(question):
        return float(bool(numbers(sentence, loose=False) - numbers(question)))
    if _ASKS_NAME.search(question):
        asked = {w.lower() for w in words(question)}
        return float(any(w.lower() not in asked for n in _names(" " + sentence) for w in words(n)))
    return 0.5


ANSWER_TERMS = 0.5
"""Share of a question's content words (asked_share) a passage sentence must hold more than, to state what was
asked: a quote holding no more is about something else (ragkit.chains.refusal)."""


def asked_share(question: str, sentence: str) -> float:
    """Share of the question's content words (what it asks about: numbers and words asking for the kind of answer
    aside) that the sentence holds, by stem or as a misspelling of one of its words; a Chinese word weighs its
    length and counts for the share of its character pairs in the sentence (jieba cuts the two differently)."""
    asked = [w for w in content_words(_ASKS_NUMBER.sub(" ", question)) if not _is_number_word(w) and w not in _UNITS]
    if not asked:
        return 1.0
    present = {_key(w) for w in content_words(sentence)}
    weights = [len(w) if is_han(w) else 1 for w in asked]
    found = [1.0 if _key(w) in present or slip_of(_key(w), present) or (len(w) == 1 and w in sentence)
             else _bigram_share(w, sentence) if is_han(w) else 0.0 for w in asked]
    return sum(weight * share for weight, share in zip(weights, found)) / sum(weights)


def answers_question(question: str, sentence: str) -> bool:
    """Whether a passage sentence states what the question asks: the kind of thing asked for (a number for 'how
    many' or '多少', a name for 'who') and more than ANSWER_TERMS of the question's content words."""
    return bool(_answers_kind(question, sentence)) and asked_share(question, sentence) > ANSWER_TERMS


def best_sentence(passage: str | Sequence[str], question: str, answer: str = "",
                  embedder: Embeddings | None = None) -> str:
    """The passage sentence that answers the question: it shares the question's words (or its meaning, with an
    embedder), adds something the question does not say, of the kind asked for (a number, a name), shares the
    words the reply added to the question, and is not itself a question (a FAQ's); the earlier of equals."""
    texts = [passage] if isinstance(passage, str) else list(passage)
    candidates = [unit for text in texts for unit in quote_units(text)] or [t.strip() for t in texts]
    asked = {_key(w) for w in content_words(question)}
    added = {_key(w) for w in content_words(answer)} - asked
    similarity = np.zeros(len(candidates))
    if embedder is not None and question.strip():
        query = np.asarray(embedder.embed_query(question))
        vectors = np.asarray(embedder.embed_documents(candidates))
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0)
        similarity = vectors @ query / np.where(norms == 0, 1.0, norms)

    def score(index: int) -> float:
        found = {_key(w) for w in content_words(candidates[index])}
        if not found - asked or candidates[index].endswith(("?", "？")):  # a question, or only the question's words
            return -1.0 + float(similarity[index])
        shared = len(found & asked) / (len(asked) or 1)
        echoed = len(found & added) / (len(added) or 1)
        return shared + 0.5 * echoed + 0.5 * _answers_kind(question, candidates[index]) + float(similarity[index])

    return candidates[max(range(len(candidates)), key=lambda i: (score(i), -i))]


def quote_units(passage: str) -> list[str]:
    """What a quote of the passage may be: its sentences, and each row of its Markdown tables as a table_records
    line (a whole table is no sentence, and a row without its header does not say what its cells are)."""
    prose = "\n".join(line for line in passage.splitlines() if not line.lstrip().startswith("|"))
    return [s.strip() for _, s in sentences(prose)] + table_records(passage)


def table_records(passage: str) -> list[str]:
    """Each data row of the passage's Markdown tables as 'column: cell; ...' lines (empty cells left out)."""
    records: list[str] = []
    header: list[str] | None = None
    for line in passage.splitlines():
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in _CELL_BORDER.split(line.strip().strip("|"))]
        if header is None:
            header = cells
        elif not all(set(cell) <= set("-: ") for cell in cells):
            records.append("; ".join(f"{name}: {cell}" if name else cell
                                     for name, cell in zip(header, cells) if cell))
    return records


def ground(answer: str, passage: str, question: str = "", threshold: float | None = None,
           embedder: Embeddings | None = None) -> tuple[str, bool]:
    """(text, extractive): the answer when the passage backs it, else the passage's best sentence and True."""
    if answer.strip() and not unsupported(answer, [passage], question, threshold):
        return answer, False
    return best_sentence(passage, question, answer, embedder), True
