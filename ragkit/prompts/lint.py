"""`ragkit prompts lint`: every problem of each file, plus what needs the whole repository or its history:
duplicate ids, and templates changed since git HEAD without a version bump."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from ragkit.prompts.loader import prompt_files
from ragkit.prompts.parse import Problem, check_prompt_file
from ragkit.prompts.spec import PromptFile


def lint(paths: Iterable[Path]) -> tuple[int, list[Problem]]:
    """Lint prompt files and directories of them: (files checked, problems in file order)."""
    files = [f for path in paths for f in prompt_files(Path(path))]
    problems: list[Problem] = []
    first: dict[str, str] = {}
    for path in files:
        spec, found = check_prompt_file(path)
        problems.extend(found)
        if spec is None:
            continue
        line = spec.key_lines.get("id", 1)
        if spec.id in first:
            problems.append(Problem(str(path), line, f"duplicate id '{spec.id}', first defined at {first[spec.id]}"))
        else:
            first[spec.id] = f"{path}:{line}"
        problems.extend(version_problems(path, spec))
    return len(files), problems


def version_problems(path: Path, spec: PromptFile) -> list[Problem]:
    """A template that differs from git HEAD's must have a higher version; files outside git or new are fine."""
    root = _git(path.parent, "rev-parse", "--show-toplevel")
    if root is None:
        return []
    top = Path(root.strip())

    def read_head(file: Path) -> str:
        relative = file.resolve().relative_to(top.resolve()).as_posix()
        text = _git(top, "show", f"HEAD:{relative}")
        if text is None:
            raise FileNotFoundError(relative)
        return text

    try:
        read_head(path)
    except (FileNotFoundError, ValueError):
        return []
    old, _ = check_prompt_file(path, read=read_head)
    if old is None or old.sha256 == spec.sha256 or spec.version > old.version:
        return []
    return [Problem(str(path), spec.key_lines.get("version", 1),
                    f"the template changed since git HEAD but version is {spec.version} (HEAD has {old.version}): "
                    f"bump it to {old.version + 1}")]


def _git(cwd: Path, *args: str) -> str | None:
    """Output of a read-only git command, or None when it fails (no git, not a repository, no such file)."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
