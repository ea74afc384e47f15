"""Shared backend pieces: stop-sequence trimming, names and tracing params without touching model files."""

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from ragkit.models import ChatLlamaCpp, ChatTransformers
from ragkit.models.base import StopTrimmer, plain_prompt, to_dicts

pytestmark = pytest.mark.unit


def _stream(pieces: list[str], stops: list[str]) -> str:
    trimmer = StopTrimmer(stops)
    return "".join(trimmer.feed(p) for p in pieces) + trimmer.flush()


def test_stop_split_across_pieces_is_cut() -> None:
    assert _stream(["Paris", "\nQu", "estion: x"], ["\nQuestion:"]) == "Paris"


def test_partial_stop_prefix_is_released_at_the_end() -> None:
    assert _stream(["Paris", "\nQu"], ["\nQuestion:"]) == "Paris\nQu"


def test_text_without_stops_passes_through() -> None:
    assert _stream(["a", "b", "c"], []) == "abc"


def test_trimmer_holds_back_only_possible_stop_starts() -> None:
    trimmer = StopTrimmer(["\n\n"])
    assert trimmer.feed("one\n") == "one"
    assert trimmer.feed("two") == "\ntwo"


def test_messages_render_the_same_for_every_backend() -> None:
    messages = [SystemMessage("Be brief."), HumanMessage("Why?")]
    assert plain_prompt(messages) == "Be brief.\n\nWhy?"
    assert to_dicts(messages) == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why?"}]


@pytest.mark.parametrize("cls", [ChatLlamaCpp, ChatTransformers])
def test_model_name_and_ls_params_need_no_files(cls: type) -> None:
    model = cls(model="/nowhere/model-q4.gguf", max_tokens=7)
    assert model.model_name == "model-q4.gguf"
    params = model._get_ls_params(stop=["\n"])
    assert params["ls_model_name"] == "model-q4.gguf"
    assert params["ls_max_tokens"] == 7
    assert params["ls_stop"] == ["\n"]


def test_default_model_is_the_default_preset() -> None:
    assert ChatTransformers().model_name == "qwen2.5-1.5b"
