"""Language-aware text basics shared by splitting, BM25 and the guardrail: language detection, sentences, words.

Chinese has no spaces between words and ends sentences with full-width punctuation (。！？) that needs no space
after it; Latin text is split as before (words of letters and digits, sentences at . ! ? before a capital).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, Literal

from ragkit.errors import RagkitError

Language = Literal["zh", "en", "mixed"]

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
"""Character class body of the Han (Chinese) ideographs, extensions and compatibility forms included."""
ZH_MIN_SHARE = 0.5
"""A text (or corpus) whose Han characters are at least this share of its letters (Han + Latin) is Chinese;
Chinese prose with English terms and numbers measures 0.7-0.95, Chinese technical text with code 0.5-0.7."""
EN_MAX_SHARE = 0.05
"""Below this share of Han characters, and with no Chinese text in it, a corpus is English (Chinese names or
quotes inside English text stay far below it)."""
MIN_ZH_TEXT = 20
"""Han characters a text needs before it can count as a Chinese text of the corpus."""

_HAN_CHAR = re.compile(f"[{HAN}]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HAN_RUN = re.compile(f"[{HAN}]+")
_LATIN_WORD = re.compile(rf"[^\W{HAN}]+")
_TOKEN = re.compile(rf"(?P<han>[{HAN}]+)|[^\W{HAN}]+")
_SENTENCE_BOUNDARY = re.compile(
    rf"(?<=[.!?])\s+(?=[A-Z0-9\"'({HAN}])"  # Latin: an end mark, space, then what starts a sentence
    rf"|(?<=[!?])(?=[{HAN}])"  # a half-width ! or ? straight before Chinese
    r"|(?P<stop>[。！？]+[”’」』）》]*)\s*"  # full-width end marks; closing quotes stay with their sentence
    r"|\s*\n\s*\n\s*"  # a blank line ends whatever came before it
)

CHINESE_STOPWORDS = frozenset([
    "的", "了", "着", "过", "是", "在", "和", "与", "及", "或", "而", "并", "且", "也", "都", "就", "又", "还", "才", "把", "被", "让",
    "给", "对", "向", "从", "于", "以", "为", "因", "由", "这", "那", "这个", "那个", "这些", "那些", "之", "其", "该", "此", "个", "种", "吗",
    "呢", "吧", "啊", "呀", "么", "将", "会", "能", "可", "可以", "要", "已", "已经", "所", "等", "等等", "中", "上", "下", "里", "内", "有",
    "没有", "不", "很", "更", "最", "我", "你", "他", "她", "它", "我们", "你们", "他们", "她们", "它们", "自己", "什么", "哪", "哪个", "哪些",
    "谁", "多少", "几", "怎么", "怎样", "如何", "为什么", "是否", "请问",
])
"""Chinese function words (particles, pronouns, auxiliaries, question words): dropped from BM25 and support
scoring, like English stopwords."""
ENGLISH_FUNCTION_WORDS = frozenset([
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or", "but", "is", "are",
    "was", "were", "be", "been", "it", "its", "this", "that", "as", "which", "who", "whom", "whose", "what", "when",
    "where", "how", "why", "has", "had", "have", "he", "she", "they", "their", "his", "her", "them", "there",
    "also", "not", "no", "do", "does", "did", "than", "then", "so", "such", "can", "could", "would", "will", "may",
    "about", "into", "many", "much",
])
"""English articles, prepositions, auxiliaries, pronouns and question words: no evidence of what a text is about."""


def han_count(text: str) -> int:
    """Number of Han characters in text."""
    return len(_HAN_CHAR.findall(text))


def has_han(text: str) -> bool:
    """Whether text contains any Han character."""
    return _HAN_CHAR.search(text) is not None


def is_han(word: str) -> bool:
    """Whether a word is made of Han characters only (a Chinese word)."""
    return _HAN_RUN.fullmatch(word) is not None


def _counts(text: str) -> tuple[int, int]:
    return han_count(text), len(_LATIN_LETTER.findall(text))


def detect_language(texts: str | Iterable[str]) -> Language:
    """'zh' when Han characters are at least ZH_MIN_SHARE of the letters, 'en' when under EN_MAX_SHARE and no
    single text is Chinese, else 'mixed' (an English corpus with one Chinese file is mixed); no letters: 'en'."""
    han = latin = 0
    chinese_text = False
    for text in [texts] if isinstance(texts, str) else texts:
        h, latin_letters = _counts(text)
        han, latin = han + h, latin + latin_letters
        chinese_text = chinese_text or (h >= MIN_ZH_TEXT and h >= ZH_MIN_SHARE * (h + latin_letters))
    share = han / (han + latin) if han + latin else 0.0
    if share >= ZH_MIN_SHARE:
        return "zh"
    if share < EN_MAX_SHARE and not chinese_text:
        return "en"
    return "mixed"


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    try:
        import rjieba
    except ImportError as exc:
        raise RagkitError("install rjieba to segment Chinese text") from exc
    return rjieba


def words(text: str) -> list[str]:
    """Lower-cased words: Latin/digit runs as `\\w+` finds them, Han runs segmented into words by jieba."""
    text = text.lower()
    if not has_han(text):
        return _LATIN_WORD.findall(text)
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group("han"):
            out.extend(_jieba().cut(match.group("han"), True))
        else:
            out.append(match.group())
    return out


def sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) pairs of a passage, in English (. ! ? then a capital) and Chinese (。！？)."""
    spans, start = [], 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        end = match.end("stop") if match.group("stop") else match.start()
        spans.append((start, text[start:end]))
        start = match.end()
    spans.append((start, text[start:]))
    return [(s, t) for s, t in spans if t.strip()]


def slips_allowed(word: str) -> int:
    """Edits a misspelling of the word may hold: none in words of under five letters or three Chinese characters,
    where one edit makes another word ('Bush'/'Rush', '过期'/'过程'); one in longer Chinese words and in words of
    up to eight letters (there a letter added, dropped or swapped with its neighbour, not changed: 'Goodell' is
    not 'Goodall'); two in longer words."""
    if is_han(word):
        return 1 if len(word) >= 3 else 0
    return 0 if len(word) < 5 else 1 if len(word) <= 8 else 2


def slip_of(word: str, known: Iterable[str]) -> str | None:
    """The known word a (lower-cased) word is a misspelling of (slips_allowed; its very letters with one moved,
    'ghandi' for 'gandhi', count as one slip), or None. Optimal-string-alignment distance from rapidfuzz (in C)."""
    from rapidfuzz.distance import OSA

    allowed = slips_allowed(word)
    for candidate in known:
        if not allowed or abs(len(candidate) - len(word)) > allowed or is_han(candidate) != is_han(word):
            continue
        distance = OSA.distance(word, candidate, score_cutoff=2)
        moved = candidate[:1] == word[:1] and sorted(candidate) == sorted(word)  # a swap or a letter moved
        if moved and distance <= 2 or distance <= allowed and (
                allowed > 1 or is_han(word) or len(candidate) != len(word)):
            return candidate
    return None


def reply_language(question: str) -> Literal["en", "zh"]:
    """The language to reply to a question in: Chinese when its Han characters outnumber its Latin words (letters
    would make 'DeepSeek-V3 模型有多少个参数？' English), else English ('What does 永安桥 mean?')."""
    return "zh" if han_count(question) > len(_LATIN_WORD.findall(question)) else "en"
