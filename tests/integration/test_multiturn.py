"""Multi-turn with the default model: a follow-up that names nothing is answered from the right document, and only
through its rewrite (the follow-up alone retrieves nothing, or the wrong file first). English and Chinese."""

from pathlib import Path

import pytest

from ragkit import KnowledgeBase
from ragkit.text import detect_language
from tests.helpers import EXAMPLES_KB, EXAMPLES_KB_ZH

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONVERSATIONS = [
    (EXAMPLES_KB, "Where must I keep my passwords?", "And how long must they be?", ("password",), "security.txt",
     ("14",)),
    (EXAMPLES_KB_ZH, "员工的登录密码有什么要求？", "多久要更换一次？", ("密码",), "security.txt", ("九十天", "90")),
]
"""(knowledge base, first question, follow-up, words of the rewrite (any), file holding the answer, ways of writing
the fact)."""


@pytest.mark.parametrize(("corpus", "first", "follow_up", "rewrite_words", "source", "facts"), CONVERSATIONS,
                         ids=["en", "zh"])
def test_follow_up_is_answered_from_the_right_file_through_the_rewrite(
        tmp_path: Path, corpus: Path, first: str, follow_up: str, rewrite_words: tuple[str, ...], source: str,
        facts: tuple[str, ...]):
    kb = KnowledgeBase(path=tmp_path / corpus.name)
    kb.index([corpus])
    alone = kb.chain(language=detect_language(follow_up)).retrieve(follow_up)
    assert not alone or Path(alone[0].source).name != source, alone  # the follow-up alone misses the file

    answer = kb.ask(first)
    follow = kb.ask(follow_up, history=[("user", first), ("assistant", answer.text)])
    assert follow.question == follow_up and follow.rewritten != follow_up, follow
    assert any(word in follow.rewritten.lower() for word in rewrite_words), follow.rewritten
    assert follow.citations and Path(follow.citations[0].source).name == source, (follow.text, follow.citations)
    assert any(fact in follow.text for fact in facts), follow.text
    assert follow.timings["rewrite_s"] > 0
