"""ChatLlamaCpp's per-call options reach llama-cpp-python correctly (a recording stand-in replaces Llama)."""

import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from ragkit.models import ChatLlamaCpp
from ragkit.models.presets import ResolvedModel

pytestmark = pytest.mark.unit


class _Recorder:
    """Stands in for llama_cpp.Llama: records the call and returns a fixed completion."""

    metadata: dict[str, str] = {}

    def __init__(self, reply: str = '{"name": "Ada"}'):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.reply = reply

    def create_completion(self, prompt: str, stream: bool, **params: Any) -> dict[str, Any]:
        self.calls.append(("completion", {"prompt": prompt, **params}))
        return {"choices": [{"text": self.reply, "finish_reason": "stop"}]}

    def create_chat_completion(self, messages: list[dict[str, str]], stream: bool, **params: Any) -> dict[str, Any]:
        self.calls.append(("chat", {"messages": messages, **params}))
        return {"choices": [{"message": {"content": self.reply}, "finish_reason": "stop"}]}


def _model(chat: bool, recorder: _Recorder, monkeypatch: pytest.MonkeyPatch) -> ChatLlamaCpp:
    model = ChatLlamaCpp(model="gemma3-270m")
    model._resolved = ResolvedModel("fake", Path("fake.gguf"), ("\n\n",), chat)
    monkeypatch.setattr(ChatLlamaCpp, "_llama", lambda self: (recorder, threading.Lock()))
    return model


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
