"""`ragkit prompts lint`: every problem of each file, plus what needs the whole repository or its history:
duplicate ids, and templates changed since git HEAD without a version bump."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from ragkit.embeddings import HashingEmbeddings
from ragkit.prompts.parse import Problem, check_prompt_file
from ragkit.prompts.spec import PromptFile
from ragkit.prompts.testing import render_checks, repository_files


def lint(paths: Iterable[Path]) -> tuple[int, list[Problem]]:
    """Lint prompt files and directories of them: (files checked, problems in file order).

    Each valid file is also built and rendered with every test's vars, as `ragkit prompts test` does (selectors
    with a model-free embedder and word counts), so a template that would fail there fails here.
    """
    files = repository_files(paths)
    problems: list[Problem] = []
    first: dict[str, str] = {}
    embeddings = HashingEmbeddings()
    for path, root in files:
        spec, found = check_prompt_file(path, root=root)
        problems.extend(found)
        if spec is None:
            continue
        if not found:
            problems.extend(render_checks(spec, embeddings, lambda text: len(text.split())))
        line = spec.key_lines.get("id", 1)
        if spec.id in first:
            problems.append(Problem(str(path), line, f"duplicate id '{spec.id}', first defined at {first[spec.id]}"))
        else:
            first[spec.id] = f"{path}:{line}"
        problems.extend(version_problems(path, spec, root))
    return len(files), problems


def version_problems(path: Path, spec: PromptFile, root: Path) -> list[Problem]:
    """A template that differs from git HEAD's must have a higher version; files outside git or new are fine."""
    toplevel = _git(path.parent, "rev-parse", "--show-toplevel")
    if toplevel is None:
        return []
    top = Path(toplevel.strip())

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
    old, _ = check_prompt_file(path, read=read_head, root=root)
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
