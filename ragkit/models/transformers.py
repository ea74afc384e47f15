"""transformers (optionally + a PEFT LoRA adapter) as a LangChain chat model, with the same settings as ChatLlamaCpp.

Loaded models are shared per (model, adapter, device) and used under a lock: one generate() at a time per model,
so concurrent callers (Streamlit sessions, threads) wait instead of interleaving. Each generation runs on the
cores free when it starts (ragkit.models.cpu.free_cores).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from ragkit.errors import ModelError
from ragkit.models.base import GenerationMeter, LocalChatModel, StopTrimmer, plain_prompt, to_dicts, usage_from
from ragkit.models.cpu import free_cores
from ragkit.models.hf import Loaded, device, load_shared


class ChatTransformers(LocalChatModel):
    """A preset, .gguf file or Hugging Face model directory run by transformers, with an optional LoRA adapter."""

    backend: ClassVar[str] = "transformers"
    device: str | None = None
    """'cuda' or 'cpu'; None picks CUDA when present."""

    _loaded: Loaded | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "ragkit-transformers"

    def load(self) -> ChatTransformers:
        """Load the model now instead of on first use."""
        self._shared()
        return self

    def _shared(self) -> Loaded:
        if self._loaded is None:
            self._loaded = load_shared(self.model, self.adapter, self.device or device())
        return self._loaded

    def _prompt_ids(self, loaded: Loaded, messages: list[BaseMessage]) -> Any:
        """Token ids of the prompt: chat template when the preset/tokenizer has one, else the plain join."""
        tokenizer = loaded.tokenizer
        chat = loaded.source.chat
        if chat is None:
            chat = bool(getattr(tokenizer, "chat_template", None))
        if chat:
            text = tokenizer.apply_chat_template(to_dicts(messages), tokenize=False, add_generation_prompt=True)
            ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        else:
            ids = tokenizer(plain_prompt(messages), return_tensors="pt")["input_ids"]
        return ids.to(loaded.model.device)

    def _settings(self, loaded: Loaded, stop: list[str] | None,
                  kwargs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """generate() arguments and stop strings; per-call kwargs override the fields, as in ChatLlamaCpp."""
        temperature = kwargs.get("temperature", self.temperature)
        stops = [*loaded.source.stop, *self.stop, *(stop or [])]
        options: dict[str, Any] = {
            "max_new_tokens": kwargs.get("max_tokens", self.max_tokens),
            "do_sample": temperature > 0,
            "pad_token_id": loaded.tokenizer.pad_token_id or loaded.tokenizer.eos_token_id,
        }
        if temperature > 0:
            options.update(temperature=temperature, top_k=kwargs.get("top_k", self.top_k),
                           top_p=kwargs.get("top_p", self.top_p))
        else:
            options.update(temperature=None, top_k=None, top_p=None)
        if stops:
            options.update(stop_strings=stops, tokenizer=loaded.tokenizer)
        if self.prompt_lookup:
            options["prompt_lookup_num_tokens"] = self.prompt_lookup
        return options, stops

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        """Generate in a worker thread, yielding text as the streamer produces it (lock held throughout), then a
        last empty chunk with the usage and timings."""
        self._check_options(kwargs)
        import torch
        from transformers import TextIteratorStreamer

        loaded = self._shared()
        options, stops = self._settings(loaded, stop, kwargs)
        trimmer, texts = StopTrimmer(stops), []
        with loaded.lock:
            threads = self.n_threads or free_cores()  # torch's intra-op threads, chosen as llama.cpp's are
            torch.set_num_threads(threads)
            meter = GenerationMeter()
            ids = self._prompt_ids(loaded, messages)
            streamer = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
            failure: list[BaseException] = []

            def work() -> None:
                try:
                    torch.manual_seed(kwargs.get("seed", self.seed))
                    with torch.inference_mode():
                        loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), streamer=streamer,
                                              **options)
                except BaseException as exc:  # re-raised in the caller's thread below
                    failure.append(exc)
                    streamer.end()

            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    meter.token()
                    text = trimmer.feed(piece)
                    if text:
                        texts.append(text)
                        yield self._chunk(text, run_manager)
                tail = trimmer.flush()
                if tail:
                    texts.append(tail)
                    yield self._chunk(tail, run_manager)
            finally:
                worker.join()
        if failure:
            raise ModelError(f"transformers generation failed: {failure[0]}") from failure[0]
        output = len(loaded.tokenizer("".join(texts), add_special_tokens=False)["input_ids"])
        prompt = int(ids.shape[1])
        # No KV cache survives a call: all of the prompt is prefilled.
        timings = {**meter.timings(prompt, prompt, output), "threads": threads}
        meta = {"model_name": self.model_name, "timings": timings}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=meta,
                                                         usage_metadata=usage_from(timings, output)))

    @staticmethod
    def _chunk(text: str, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
        chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
        if run_manager:
            run_manager.on_llm_new_token(text, chunk=chunk)
        return chunk

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, None, **kwargs))
