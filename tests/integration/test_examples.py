"""The runnable examples run: quickstart.py on the fast fine-tuned preset prints cited answers."""

import os
import subprocess
import sys

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.integration


def test_quickstart_prints_cited_answers(tmp_path):
    env = {**os.environ, "RAGKIT_INDEXES": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(REPO / "examples" / "quickstart.py"), "--model", "gemma3-270m-squad"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "indexed 5 files" in done.stdout
    for source in ("product-faq.html", "travel-policy.pdf", "security.txt"):
        assert source in done.stdout, done.stdout
