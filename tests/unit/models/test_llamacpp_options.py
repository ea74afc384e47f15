"""ChatLlamaCpp's per-call options reach llama-cpp-python correctly (a recording stand-in replaces Llama)."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from ragkit.models import ChatLlamaCpp, llamacpp
from ragkit.models.presets import ResolvedModel

pytestmark = pytest.mark.unit


FREE_CORES = 3


class _Recorder:
    """Stands in for llama_cpp.Llama: records the call and streams a fixed completion word by word."""

    metadata: dict[str, str] = {}
    n_tokens = 50

    def __init__(self, reply: str = '{"name": "Ada"}'):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.reply = reply
        self.threads: list[int] = []

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        return list(range(len(text.split())))

    def _pieces(self) -> list[str]:
        words = self.reply.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]

    def create_completion(self, prompt: str, stream: bool, **params: Any) -> Iterator[dict[str, Any]]:
        assert stream
        self.calls.append(("completion", {"prompt": prompt, **params}))
        for piece in self._pieces():
            yield {"choices": [{"text": piece, "finish_reason": None}]}
        yield {"choices": [{"text": "", "finish_reason": "stop"}]}

    def create_chat_completion(self, messages: list[dict[str, str]], stream: bool,
                               **params: Any) -> Iterator[dict[str, Any]]:
        assert stream
        self.calls.append(("chat", {"messages": messages, **params}))
        yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
        for piece in self._pieces():
            yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


def _model(chat: bool, recorder: _Recorder, monkeypatch: pytest.MonkeyPatch) -> ChatLlamaCpp:
    model = ChatLlamaCpp(model="gemma3-270m")
    model._resolved = ResolvedModel("fake", Path("fake.gguf"), ("\n\n",), chat)
    monkeypatch.setattr(ChatLlamaCpp, "_llama", lambda self: (recorder, threading.Lock()))
    monkeypatch.setattr(llamacpp, "_reset_counters", lambda llama: None)
    monkeypatch.setattr(llamacpp, "_prefill_tokens", lambda llama: 20)
    monkeypatch.setattr(llamacpp, "_set_threads", lambda llama, threads: recorder.threads.append(threads))
    monkeypatch.setattr(llamacpp, "free_cores", lambda: FREE_CORES)
    return model


def test_threads_are_the_cores_free_at_each_generation_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder("x")
    model = _model(False, recorder, monkeypatch)
    assert model.invoke("a").response_metadata["timings"]["threads"] == FREE_CORES
    fixed = model.model_copy(update={"n_threads": 1})
    assert fixed.invoke("b").response_metadata["timings"]["threads"] == 1
    assert recorder.threads == [FREE_CORES, 1]


class Person(BaseModel):
    name: str


def test_structured_output_on_a_base_model_uses_a_json_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    result = _model(False, recorder, monkeypatch).with_structured_output(Person).invoke("Who?")
    kind, params = recorder.calls[0]
    assert result == Person(name="Ada")
    assert kind == "completion"
    assert params["grammar"] is not None
    assert "json_schema" not in params


def test_structured_output_on_a_chat_model_uses_response_format(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    _model(True, recorder, monkeypatch).with_structured_output(Person).invoke("Who?")
    kind, params = recorder.calls[0]
    assert kind == "chat"
    assert params["response_format"]["type"] == "json_object"
    assert params["response_format"]["schema"]["properties"]["name"]["type"] == "string"


def test_stops_and_overrides_are_merged(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder("x")
    model = _model(False, recorder, monkeypatch)
    model.model_copy(update={"stop": ["END"]}).invoke([HumanMessage("a"), HumanMessage("b")], stop=["\nQ:"],
                                                      max_tokens=3)
    params = recorder.calls[0][1]
    assert params["prompt"] == "a\n\nb"
    assert params["stop"] == ["\n\n", "END", "\nQ:"]
    assert params["max_tokens"] == 3


def test_gbnf_grammar_is_passed_to_llama(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder("yes")
    _model(False, recorder, monkeypatch).invoke("x", grammar='root ::= "yes" | "no"')
    assert recorder.calls[0][1]["grammar"]._grammar == 'root ::= "yes" | "no"'


@pytest.mark.parametrize("chat", [True, False])
def test_invoke_and_stream_report_usage_and_the_prefill_decode_split(chat: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(chat, _Recorder("Paris is the capital [1]."), monkeypatch)
    message = model.invoke("Where?")
    assert message.content == "Paris is the capital [1]."
    assert message.response_metadata["finish_reason"] == "stop"
    timings = message.response_metadata["timings"]
    assert timings["prompt_tokens"] == 50 and timings["prefill_tokens"] == 20
    assert timings["prefill_tok_s"] == pytest.approx(20 / timings["prefill_s"]) and timings["decode_tokens"] == 4
    assert message.usage_metadata == {"input_tokens": 50, "output_tokens": 5, "total_tokens": 55,
                                      "input_token_details": {"cache_read": 30}}
    chunks = list(model.stream("Where?"))
    assert "".join(str(c.content) for c in chunks) == "Paris is the capital [1]."
    metered = [c for c in chunks if "timings" in c.response_metadata]
    assert len(metered) == 1 and metered[0].content == "" and metered[0].usage_metadata["output_tokens"] == 5
