"""Show a reasoning evaluation: a rich table and a chart of accuracy against seconds per problem."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.table import Table

from ragkit.eval.reasoning.runner import Summary


def table(results: Mapping[str, Summary], title: str) -> Table:
    """One line per technique: right/n, accuracy, and per-problem calls, seconds and tokens."""
    out = Table(title=title)
    for column in ("technique", "right", "accuracy", "calls", "s/problem", "prompt tok", "completion tok"):
        out.add_column(column, justify="left" if column == "technique" else "right")
    for name, s in results.items():
        out.add_row(name, f"{s.right}/{s.n}", f"{s.accuracy:.1%}", f"{s.calls:.1f}", f"{s.seconds:.1f}",
                    f"{s.prompt_tokens:.0f}", f"{s.completion_tokens:.0f}")
    return out


def plot(results: Mapping[str, Summary], path: Path, title: str) -> Path:
    """A scatter of accuracy against mean seconds per problem, one labelled point per technique."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, s in results.items():
        ax.scatter(s.seconds, s.accuracy, s=40)
        ax.annotate(f"{name} ({s.right}/{s.n})", (s.seconds, s.accuracy), textcoords="offset points",
                    xytext=(5, 4), fontsize=8)
    ax.set_xlabel("seconds per problem")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlim(left=0)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
