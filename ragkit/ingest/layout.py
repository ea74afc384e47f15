"""Reading order of OCR'd text boxes: columns left to right, lines top to bottom, boxes of a line left to right.

Written by hand: rapidocr returns boxes in detection order, and its own line sorting neither knows columns nor keeps
CJK lines free of spaces. A recursive XY-cut (columns first, then bands of lines) is a few lines here.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """One recognized line piece: its axis-aligned bounds in page pixels and its text."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


COLUMN_GAP = 1.5
"""A column gutter is at least this many line heights wide."""
COLUMN_SHARE = 0.2
"""Each side of a column cut spans at least this share of the region's width (narrower: labels of a form)."""
PARAGRAPH_GAP = 1.2
"""A vertical gap of this many line heights separates two blocks (a blank line between them)."""


def reading_order(boxes: Sequence[Box]) -> str:
    """The boxes' text as lines in reading order, blank lines between blocks separated by a wide vertical gap."""
    if not boxes:
        return ""
    height = statistics.median(b.height for b in boxes) or 1.0
    blocks = _cut(list(boxes), height)
    return "\n\n".join("\n".join(_join(line) for line in _lines(block, height)) for block in blocks)


def _cut(boxes: list[Box], height: float) -> list[list[Box]]:
    """Blocks of boxes in reading order: split at a column gutter, else at a paragraph gap, recursively."""
    pending, blocks = [boxes], []
    while pending:
        region = pending.pop()
        parts = _split(region, height)
        if parts is None:
            blocks.append(region)
        else:
            pending.extend(reversed(parts))
    return blocks


def _split(region: list[Box], height: float) -> list[list[Box]] | None:
    """The region cut at its widest column gutter, else at paragraph gaps between bands; None if uncut."""
    if len(region) < 2:
        return None
    left, right = min(b.x0 for b in region), max(b.x1 for b in region)
    gaps = _gaps([(b.x0, b.x1) for b in region])
    wide = [(a, b) for a, b in gaps if b - a >= COLUMN_GAP * height and a - left >= COLUMN_SHARE * (right - left)
            and right - b >= COLUMN_SHARE * (right - left)]
    if wide:
        a, b = max(wide, key=lambda gap: gap[1] - gap[0])
        return [[x for x in region if x.x1 <= a], [x for x in region if x.x0 >= b]]
    bands = [gap for gap in _gaps([(b.y0, b.y1) for b in region]) if gap[1] - gap[0] >= PARAGRAPH_GAP * height]
    if not bands:
        return None
    cuts = [a for a, _ in bands]
    parts: list[list[Box]] = [[] for _ in range(len(cuts) + 1)]
    for box in region:
        parts[sum(box.y0 > cut for cut in cuts)].append(box)
    return parts


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Intervals covered by no span, between the first and the last."""
    gaps, reach = [], None
    for start, end in sorted(spans):
        if reach is not None and start > reach:
            gaps.append((reach, start))
        reach = end if reach is None else max(reach, end)
    return gaps


def _lines(block: list[Box], height: float) -> list[list[Box]]:
    """Boxes grouped into lines (vertical centres within half a line height), top to bottom, each left to right."""
    lines: list[list[Box]] = []
    for box in sorted(block, key=lambda b: (b.y0 + b.y1) / 2):
        centre = (box.y0 + box.y1) / 2
        if lines and abs(centre - _centre(lines[-1])) <= height / 2:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _centre(line: list[Box]) -> float:
    return statistics.fmean((b.y0 + b.y1) / 2 for b in line)


def _join(line: list[Box]) -> str:
    """Pieces of one line: no space between two CJK characters, one space otherwise."""
    text = ""
    for box in line:
        piece = box.text.strip()
        if text and piece and not (_cjk(text[-1]) and _cjk(piece[0])):
            text += " "
        text += piece
    return text


def _cjk(ch: str) -> bool:
    """Whether ch is a CJK ideograph or full-width punctuation (no spaces around it in Chinese text)."""
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or "\uf900" <= ch <= "\ufaff"
