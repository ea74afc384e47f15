"""What the answer log says, per prompt version: latency percentiles, refusal, guardrail and cache-hit rates,
errors and feedback; and a PNG of it (`ragkit report`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragkit.answerlog.events import Event, Feedback

ALL = "all"
"""The row summing every prompt version."""


@dataclass(frozen=True)
class PromptStats:
    """The answers given with one prompt version (or ALL of them)."""

    prompt: str
    """'rag-answer v5 (1a2b3c4d)': id, version and the start of the sha256."""
    answers: int
    """Answers given (errors not counted)."""
    errors: int
    """Questions that ended in an error or were cancelled."""
    p50_s: float
    """Median seconds per answer (nan without answers)."""
    p95_s: float
    """95th-percentile seconds per answer."""
    refusal_rate: float
    """Share of answers where nothing relevant was found (the not-found reply)."""
    guardrail_rate: float
    """Share of found answers whose reply the grounding guardrail replaced by a quoted sentence."""
    cache_hit_rate: float
    """Share of answers served from the answer cache."""
    up: int
    """Thumbs up."""
    down: int
    """Thumbs down."""


def prompt_version(event: Event) -> str:
    """How a prompt version is named in the report."""
    prompt = event.prompt
    sha = str(prompt.get("prompt_sha256") or "")[:8]
    return f"{prompt.get('prompt_id') or '?'} v{prompt.get('prompt_version') or '?'}" + (f" ({sha})" if sha else "")


def summarize(events: Sequence[Event], feedback: Sequence[Feedback]) -> list[PromptStats]:
    """One row per prompt version (in order of first use), then the ALL row; empty without events."""
    if not events:
        return []
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(prompt_version(event), []).append(event)
    ratings: dict[str, list[int]] = {}
    for given in feedback:
        ratings.setdefault(given.event_id, []).append(given.rating)
    rows = [_stats(name, group, ratings) for name, group in groups.items()]
    return rows + [_stats(ALL, list(events), ratings)] if len(rows) > 1 else rows


def _stats(name: str, events: list[Event], ratings: dict[str, list[int]]) -> PromptStats:
    answered = [e for e in events if not e.error]
    latency = np.array([e.latency_s for e in answered], dtype=float)
    found = [e for e in answered if e.found]
    given = [r for e in events for r in ratings.get(e.id, [])]
    return PromptStats(
        prompt=name, answers=len(answered), errors=len(events) - len(answered),
        p50_s=float(np.percentile(latency, 50)) if latency.size else float("nan"),
        p95_s=float(np.percentile(latency, 95)) if latency.size else float("nan"),
        refusal_rate=_share(len(answered) - len(found), len(answered)),
        guardrail_rate=_share(sum(e.extractive for e in found), len(found)),
        cache_hit_rate=_share(sum(e.cached for e in answered), len(answered)),
        up=given.count(1), down=given.count(-1))


def _kind(event: Event) -> str:
    return "cache hit" if event.cached else "model answer" if event.found else "not found"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def plot(events: Sequence[Event], stats: Sequence[PromptStats], path: Path, title: str) -> Path:
    """A PNG: seconds per answer in the order given (cache hits, misses and not-found apart, log scale) beside the
    rates of each prompt version."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    answered = [e for e in events if not e.error]
    fig, (times, rates) = plt.subplots(1, 2, figsize=(12, 4.5))
    kinds = {"cache hit": "o", "model answer": "s", "not found": "x"}
    for label, marker in kinds.items():
        points = [(n, max(e.latency_s, 1e-4)) for n, e in enumerate(answered, 1) if _kind(e) == label]
        if points:
            times.scatter(*zip(*points), marker=marker, label=label, s=18)
    times.set_yscale("log")
    times.xaxis.set_major_locator(MaxNLocator(integer=True))
    times.set_xlabel("answer")
    times.set_ylabel("seconds")
    times.set_title("latency per answer")
    times.legend()
    names = ["refusal", "guardrail", "cache hit", "thumbs up"]
    width = 0.8 / max(1, len(stats))
    for i, row in enumerate(stats):
        rated = row.up + row.down
        values = [row.refusal_rate, row.guardrail_rate, row.cache_hit_rate, row.up / rated if rated else np.nan]
        bars = rates.bar(np.arange(len(names)) + i * width, np.nan_to_num(values), width,
                         label=f"{row.prompt}: {row.answers} answers, p50 {row.p50_s:.2f} s, p95 {row.p95_s:.2f} s")
        rates.bar_label(bars, labels=["-" if np.isnan(v) else f"{v:.0%}" for v in values], fontsize=7)
    rates.set_xticks(np.arange(len(names)) + width * (len(stats) - 1) / 2, names)
    rates.set_ylim(0, 1.15)
    rates.set_title("rates per prompt version")
    rates.legend(fontsize=7, loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
