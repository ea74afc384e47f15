"""Parse model replies: final answers, numbered lists, scores and votes. Each returns None when the reply does
not parse, so a chain can score the failure instead of raising."""

from __future__ import annotations

import re
from collections import Counter

from ragkit.chains.reasoning.numeric import canonical, last_number, parse_number

_FINAL = re.compile(r"(?:final answer\s*(?:is|:)?|the answer is|\banswer\s*[:=]|(?:最终)?答案\s*(?:是|为|[:：])|"
                    r"(?<!\w)答\s*[:：]|####)\s*[:：]?\s*", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_SENTENCE_END = re.compile(r"\.\s|。")
_ITEM = re.compile(r"^\s*(?:\d+[.):]|[-*•]|step \d+[.:]?)\s*(.+?)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")
_SCORE = re.compile(r"score\s*[:=]?\s*(\d+(?:\.\d+)?)(?:\s*/\s*(\d+))?|(\d+(?:\.\d+)?)\s*/\s*(\d+)", re.IGNORECASE)
_VALUES = {"sure": 20.0, "likely": 1.0, "impossible": 0.001}
"""The value words of Yao et al.'s value prompt and the scores their bfs.py gives them."""
_CHOICE = re.compile(r"best choice is\s*:?\s*\D{0,3}(\d+)", re.IGNORECASE)


def final_answer(text: str | None) -> str | None:
    """The answer stated in `\\boxed{...}`, else after 'The answer is' / 'Final answer:' / 'Answer:' / '####' /
    答案是 / 答案为 / 答案： / 答： (the last such statement wins), up to the end of its sentence."""
    if not text:
        return None
    boxed = _BOXED.findall(text)
    if boxed:
        return clean(boxed[-1])
    markers = list(_FINAL.finditer(text))
    if not markers:
        return None
    stated = text[markers[-1].end():].split("\n", 1)[0]
    return clean(_SENTENCE_END.split(stated)[0])


def stated_or_last_number(text: str | None) -> str | None:
    """The stated final answer, else the reply's last number (a solution that never says 'The answer is')."""
    stated = final_answer(text)
    if stated is not None:
        return stated
    value = last_number(text)
    return canonical(value) if value is not None else None


def vote_key(answer: str) -> str:
    """What self-consistency votes on: the canonical number when the answer states one, else its normalized text."""
    value = parse_number(answer)
    return canonical(value) if value is not None else normalize(answer)


def first_line(text: str | None) -> str | None:
    """The first non-blank line, cleaned; the whole reply of prompts that end where the answer starts."""
    for line in (text or "").splitlines():
        if line.strip():
            return clean(line)
    return None


def sentence(text: str | None) -> str | None:
    """The first non-blank line as written (a derived fact keeps its full stop)."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), None)


def clean(answer: str) -> str | None:
    """Strip markup and the full stop around an answer; None when nothing is left."""
    answer = answer.strip().strip("*_`\"' ").rstrip(".。").strip()
    return answer or None


def normalize(answer: str) -> str:
    """The form answers are compared in when voting: lower case, no currency or thousands commas, 18.0 == 18."""
    text = answer.lower().strip().rstrip(".").replace("$", "").strip()
    text = text.rsplit("=", 1)[-1].strip()  # "5 * 5 = 25" votes for 25
    numbers = _NUMBER.findall(text)
    if len(numbers) == 1 and _NUMBER.fullmatch(text.replace(" ", "")) is not None:
        value = float(numbers[0].replace(",", ""))
        return str(int(value)) if value.is_integer() else str(value)
    return " ".join(text.split())


def items(text: str | None, limit: int | None = None) -> list[str]:
    """Numbered or bulleted lines of a reply, in order, without their markers; plain lines when there are none."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    marked = [m.group(1) for m in map(_ITEM.match, lines) if m]
    found = [item for item in (marked or lines) if item]
    return found[:limit] if limit is not None else found


def distinct(texts: list[str], limit: int | None = None) -> list[str]:
    """Texts without repeats (compared normalized), in order, at most `limit`."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        if normalize(text) not in seen and (limit is None or len(out) < limit):
            seen.add(normalize(text))
            out.append(text)
    return out


def score(text: str | None, scale: float = 10.0) -> float | None:
    """A score as a fraction of `scale`: 'Score: 7/10', '7/10' or 'Score: 7'; None when there is none."""
    match = _SCORE.search(text or "")
    if not match:
        return None
    value = float(match.group(1) or match.group(3))
    out_of = float(match.group(2) or match.group(4) or scale)
    return min(value / out_of, 1.0) if out_of else None


def value_word(text: str | None) -> float | None:
    """Yao et al.'s value judgement: the last of sure / likely / impossible in the reply, as 20 / 1 / 0.001."""
    words = re.findall(r"\b(sure|likely|impossible)\b", (text or "").lower())
    return _VALUES[words[-1]] if words else None


def choice(text: str | None, choices: int) -> int | None:
    """The 1-based choice of 'The best choice is N', when N is one of the choices."""
    match = _CHOICE.search(text or "")
    if not match:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= choices else None


def numbers(text: str | None, upper: int) -> list[int]:
    """Distinct integers 1..upper mentioned in a reply, in order (fact numbers, rankings)."""
    seen: list[int] = []
    for match in re.findall(r"\d+", text or ""):
        number = int(match)
        if 1 <= number <= upper and number not in seen:
            seen.append(number)
    return seen


def majority(parsed: list[str | None]) -> tuple[str | None, dict[str, int]]:
    """The answer most samples reached (compared by `vote_key`) and the vote counts, most first; a tie goes to
    the earliest sample (Counter.most_common keeps first-seen order among equals)."""
    counts = Counter(vote_key(a) for a in parsed if a is not None)
    votes = dict(counts.most_common())
    winner = next(iter(votes), None)
    return next((a for a in parsed if a is not None and vote_key(a) == winner), None), votes
