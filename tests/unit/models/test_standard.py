"""LangChain's standard chat-model unit suite, run against both local backends (no model is loaded)."""

from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from ragkit.models import ChatLlamaCpp, ChatTransformers

pytestmark = pytest.mark.unit


class _LocalModelTests(ChatModelUnitTests):
    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # Local models have no API key, network timeout or retries: keep only the parameters that apply.
        params = super().standard_chat_model_params
        return {k: v for k, v in params.items() if k not in ("api_key", "timeout", "max_retries")}

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gemma3-270m"}


class TestChatLlamaCppStandard(_LocalModelTests):
    @property
    def chat_model_class(self) -> type[ChatLlamaCpp]:
        return ChatLlamaCpp


class TestChatTransformersStandard(_LocalModelTests):
    @property
    def chat_model_class(self) -> type[ChatTransformers]:
        return ChatTransformers
