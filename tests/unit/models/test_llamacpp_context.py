"""llama.cpp's context-window overflow is the caller's error (a 400 from the server), other errors stay as they are."""

from __future__ import annotations

import pytest

from ragkit.errors import ContextOverflowError, InvalidInputError
from ragkit.models.llamacpp import _within_context


def _failing(message: str):
    yield {"choices": [{"text": "partial"}]}
    raise ValueError(message)


def test_overflow_becomes_a_context_overflow_error():
    parts = _within_context(_failing("Requested tokens (9000) exceed context window of 4096"))
    assert next(parts) == {"choices": [{"text": "partial"}]}
    with pytest.raises(ContextOverflowError, match="4096") as raised:
        next(parts)
    assert isinstance(raised.value, InvalidInputError)


def test_other_value_errors_pass_through():
    with pytest.raises(ValueError, match="grammar"):
        list(_within_context(_failing("bad grammar")))
