"""`ragkit eval reasoning` end to end with the default model (qwen2.5-1.5b): three word problems (two English,
one Chinese) through the program technique, the table printed and the JSON in the agreed shape."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.cli import app

pytestmark = pytest.mark.integration

PROBLEMS = [
    {"question": "A shop sells pens at $2 each and notebooks at $5 each. How much do 3 pens and 2 notebooks cost?",
     "answer": "16"},
    {"question": "Tom has 3 boxes with 12 apples in each. He gives away 10 apples. How many apples are left?",
     "answer": "So 3 * 12 = <<3*12=36>>36 apples, 36 - 10 = <<36-10=26>>26.\n#### 26"},
    {"question": "一本练习本 3 元，一支钢笔 18 元。买 4 本练习本和 2 支钢笔一共要多少元？", "answer": "48"},
]


def test_program_technique_on_three_problems(tmp_path: Path) -> None:
    path, out = tmp_path / "problems.jsonl", tmp_path / "out.json"
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PROBLEMS) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "reasoning", "--jsonl", str(path), "-t", "program", "--pool", "none",
                                      "--json", str(out), "--log", str(tmp_path / "log.jsonl")])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    summary = report["results"]["program"]
    assert summary["n"] == 3 and summary["calls"] == 1.0 and summary["completion_tokens"] > 0
    assert summary["right"] >= 2, report["problems"]  # three easy problems: the coder model's programs get them
    assert all(row["replies"] and "def solution" in row["replies"][0] for row in report["problems"])
    assert "program" in result.output and out.with_suffix(".png").is_file()
