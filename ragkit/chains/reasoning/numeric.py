"""The value of a stated answer: numbers with currency, units, thousands commas, fractions, percentages, `x = 5`,
LaTeX `\\boxed{}`/`\\frac{}{}` and Chinese forms (`¥1,200 元`, `共 5 个`, `三百五十`), so answers compare as numbers
and votes count `$18`, `18.00` and `18 dollars` as one."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

_NUMBER = re.compile(r"(?<![\d.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?![\d.]))?|(?<![\d.])-?\.\d+")
_MIXED = re.compile(r"(?<![\d.])(\d+)\s+(\d+)\s*/\s*(\d+)(?![\d.])")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX = re.compile(r"\\(?:text|mathrm|textbf)\s*\{([^{}]*)\}|\\[,;!]|\\%|\\\$|\$")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_MAX_DIGITS = 60
"""Longer digit strings are not answers (and would make Fraction slow on hostile text)."""


def parse_number(text: str | None) -> Fraction | None:
    """The value an answer statement gives: after its last `=`, the first number (a mixed number, fraction or
    decimal; Chinese numerals when there are no digits); None when there is none.

    Percent signs, currency and units are dropped: '25%' is 25, as GSM8K writes such answers.
    """
    if not text:
        return None
    plain = _plain(text)
    plain = plain.rsplit("=", 1)[-1]
    mixed = _MIXED.search(plain)
    match = _NUMBER.search(plain)
    if mixed and match and mixed.start() <= match.start():
        whole, top, bottom = (int(g) for g in mixed.groups())
        return Fraction(whole) + Fraction(top, bottom) if bottom else None
    if match:
        return _value(match.group(0))
    chinese = _CN_NUMBER.search(plain)
    return _chinese(chinese.group(0)) if chinese else None


def last_number(text: str | None) -> Fraction | None:
    """The last number in a reply: the fallback reading of a solution that never states its answer."""
    found = _NUMBER.findall(_plain(text or ""))
    return _value(found[-1]) if found else None


def canonical(value: Fraction) -> str:
    """A number as answers are compared and voted in: '18', '0.75', '-2.5'; thirds as '1/3'."""
    if value.denominator == 1:
        return str(value.numerator)
    decimal = float(value)
    return repr(decimal) if Fraction(repr(decimal)) == value else f"{value.numerator}/{value.denominator}"


def _plain(text: str) -> str:
    """Full-width forms folded (NFKC), LaTeX fractions as a/b, markup and the minus sign made ASCII."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    text = _FRAC.sub(r"\1/\2", text)
    return _LATEX.sub(lambda m: m.group(1) or " ", text)


def _value(token: str) -> Fraction | None:
    token = token.replace(",", "").replace(" ", "")
    if len(token) > _MAX_DIGITS:
        return None
    if "/" in token:
        top, bottom = token.split("/")
        return Fraction(Fraction(top), int(bottom)) if int(bottom) else None
    return Fraction(token)


def _chinese(text: str) -> Fraction | None:
    """A Chinese numeral (十二, 三百五十, 两千零五, 一万二千) as a number; digits read one by one without units
    (二〇二四 is 2024)."""
    if all(ch in _CN_DIGITS for ch in text):
        return Fraction(int("".join(str(_CN_DIGITS[ch]) for ch in text)))
    total = section = digit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        else:
            total += (section + digit) * _CN_BIG[ch]
            section = digit = 0
    return Fraction(total + section + digit)
