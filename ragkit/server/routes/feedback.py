"""POST /v1/feedback: a rating (and comment) attached to an answer's event in its knowledge base's answer log."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ragkit import MAX_COMMENT, EventNotFoundError
from ragkit.server.errors import NotFoundError
from ragkit.server.state import Caller, State
from ragkit.server.strict_json import StrictRoute

router = APIRouter(tags=["answers"], route_class=StrictRoute)


class FeedbackRequest(BaseModel):
    """POST /v1/feedback."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=64)
    """The answer's `event_id`."""
    rating: Literal["up", "down", "+1", "-1", 1, -1]
    """'up' or 'down' (or +1 / -1)."""
    comment: str = Field("", max_length=MAX_COMMENT)
    """What was good or wrong about the answer."""
    index: str | None = Field(None, min_length=1)
    """The knowledge base that answered; default: looked up among those the caller may read."""

    @field_validator("rating", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("rating must be 'up', 'down', +1 or -1, not a boolean")
        return value


class FeedbackOut(BaseModel):
    """The feedback as stored."""

    model_config = ConfigDict(extra="forbid")

    event_id: str
    """The answer's event."""
    index: str
    """The knowledge base that answered."""
    rating: int
    """+1 (up) or -1 (down)."""
    comment: str
    """The comment given."""


@router.post("/v1/feedback", status_code=201)
def feedback(body: FeedbackRequest, state: State, access: Caller) -> FeedbackOut:
    """Rate an answer; 404 when no readable knowledge base logged that event."""
    if body.index is not None:
        access.require(body.index, "read")
        names = [body.index]
    else:
        names = [name for name in state.kbs.names() if access.can(name, "read")]
    for name in names:
        kb = state.kbs.get(name)
        try:
            given = kb.feedback(body.event_id, body.rating, body.comment)
        except EventNotFoundError:
            continue
        state.metrics.feedback.labels(name, "up" if given.rating > 0 else "down").inc()
        return FeedbackOut(event_id=given.event_id, index=name, rating=given.rating, comment=given.comment)
    raise NotFoundError(f"no answer event {body.event_id!r}" + (f" in knowledge base {body.index!r}"
                                                               if body.index is not None else ""))
