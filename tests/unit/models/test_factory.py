"""Backends by name, one `adapter` field for both, the adapter's recorded prompt, and per-call options checked."""

from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError, ModelError
from ragkit.models import BACKENDS, ChatLlamaCpp, ChatTransformers, chat_model, trained_prompt
from ragkit.models.adapter import AdapterMetadata, TrainingParams, read_metadata, write_metadata
from ragkit.models.llamacpp import lora_file
from ragkit.models.presets import resolve_model

pytestmark = pytest.mark.unit


def _record(directory: Path, prompt_id: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_metadata(directory, AdapterMetadata(
        base_model="gemma3-270m", base_sha256="0" * 64, prompt_id=prompt_id, prompt_version=1,
        prompt_sha256="1" * 64, chat_template=False, training=TrainingParams(), train_examples=1, eval_examples=1,
        steps=1, seconds=1.0, device="cpu", base_eval_loss=2.0, final_eval_loss=1.0))


def test_backends_map_names_to_classes() -> None:
    assert BACKENDS == {"llamacpp": ChatLlamaCpp, "transformers": ChatTransformers}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_backend_takes_the_same_adapter_field(backend: str, tmp_path: Path) -> None:
    _record(tmp_path / "mine", "my-prompt")
    model = chat_model(backend, "gemma3-270m", adapter=str(tmp_path / "mine"), max_tokens=5)
    assert isinstance(model, BACKENDS[backend])
    assert model.adapter == str(tmp_path / "mine") and model.max_tokens == 5
    assert model.model_name == "gemma3-270m + mine"
    assert trained_prompt(model) == "my-prompt"
    assert read_metadata(tmp_path / "mine").prompt_id == "my-prompt"


def test_without_an_adapter_record_the_preset_names_the_prompt() -> None:
    assert trained_prompt(chat_model("llamacpp", "gemma3-270m-squad")) == "qa-extractive"
    assert trained_prompt(chat_model("transformers", "/nowhere/model.gguf")) is None


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown backend 'vllm': choose from llamacpp, transformers"):
        chat_model("vllm")


def test_llamacpp_reads_adapter_gguf_inside_the_directory(tmp_path: Path) -> None:
    resolved = resolve_model("gemma3-270m")
    with pytest.raises(ModelError, match=f"no GGUF LoRA at {tmp_path / 'adapter.gguf'}"):
        lora_file(str(tmp_path), resolved)
    (tmp_path / "adapter.gguf").write_bytes(b"GGUF")
    assert lora_file(str(tmp_path), resolved) == str(tmp_path / "adapter.gguf")


@pytest.mark.parametrize("cls", [ChatLlamaCpp, ChatTransformers])
def test_unknown_per_call_options_raise_before_any_model_loads(cls: type) -> None:
    model = cls(model="/nowhere/model-q4.gguf")
    with pytest.raises(TypeError, match=rf"{cls.__name__} got unknown keyword argument\(s\) 'temprature'"):
        model.invoke("hi", temprature=0.5)
    with pytest.raises(TypeError, match="'tools'"):
        model.invoke("hi", tools=[{"name": "search"}])
