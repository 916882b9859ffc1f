"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class ClassifyRequest(BaseModel):
    """A posting or resume to classify."""

    text: str = Field(description="the posting or resume text, plain UTF-8")
    kind: Literal["posting", "resume", "auto"] = Field(
        "auto", description="what the text is; 'auto' guesses from its voice"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text is empty or only whitespace: send the posting or resume text to classify")
        return text


class EvidenceItem(BaseModel):
    """A lexicon phrase found in the text; offsets index the text as sent."""

    phrase: str
    start: int
    end: int
    role: str
    weight: float
    kind: str


class FeatureItem(BaseModel):
    """A model feature present in the text and how far it moved the score."""

    feature: str
    role: str
    contribution: float


class ClassifyResponse(BaseModel):
    """The lean of one text."""

    label: str = Field(description="the role the text leans towards")
    probabilities: dict[str, float] = Field(description="probability of each role; they sum to 1")
    lean: Literal["slight", "moderate", "strong"]
    kind: Literal["posting", "resume"]
    lexicon_matched: bool = Field(description="false when no lexicon phrase was found: the label rests on model features alone")
    evidence: list[EvidenceItem]
    top_features: list[FeatureItem]
    model_version: str


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str
