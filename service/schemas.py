"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic.json_schema import SkipJsonSchema

Kind = Literal["posting", "resume", "auto"]
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: str) -> str:
    """Refuse text that is blank or is not valid Unicode (a lone UTF-16 surrogate).

    >>> check_text("  ")
    Traceback (most recent call last):
    ...
    ValueError: empty or only whitespace: send the posting or resume text to classify
    """
    if not text.strip():
        raise ValueError("empty or only whitespace: send the posting or resume text to classify")
    bad = _SURROGATE.search(text)
    if bad:
        raise ValueError(
            f"has an unpaired UTF-16 surrogate at character {bad.start()}: send valid Unicode "
            "(escape characters outside the BMP as a surrogate pair, or send them as UTF-8)"
        )
    return text


EXPLAIN_FIELD = Field(
    True,
    description="false answers only label, probabilities, lean, kind, scope and p_in_scope: faster on long texts, "
    "since finding the evidence costs about as much as the prediction",
)


class TextItem(BaseModel):
    """A posting or resume to classify."""

    # An unknown field is refused rather than ignored: a misspelt or misplaced option
    # ("explain" on a batch item) would otherwise be dropped without a word.
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the posting or resume text, plain UTF-8")
    kind: Kind = Field("auto", description="what the text is; 'auto' guesses from its voice")

    _check_text = field_validator("text")(check_text)


class ClassifyRequest(TextItem):
    """A posting or resume to classify, with or without the reasons."""

    explain: StrictBool = EXPLAIN_FIELD


class BatchItem(TextItem):
    """One text of a batch, with the caller's own id for it."""

    id: str | Annotated[int, Field(ge=-(2**63), lt=2**63)] | None = Field(
        None,
        description="your id for this text (a string, or an integer that fits in 64 bits); returned with its result",
    )

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str | int | None) -> str | int | None:
        if isinstance(value, str) and (len(value) > 256 or _SURROGATE.search(value)):
            raise ValueError("id must be at most 256 characters of valid Unicode")
        return value


class BatchRequest(BaseModel):
    """Several texts to classify in one call (the limit is ROLELENS_MAX_BATCH_ITEMS)."""

    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(min_length=1, description="the texts, classified in this order")
    explain: StrictBool = Field(True, description=EXPLAIN_FIELD.description + "; applies to every item")


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


class ScopeEvidenceItem(BaseModel):
    """A word of the text and how far it moved the scope answer."""

    feature: str
    contribution: float = Field(description="positive: towards data science or ML work; negative: away from it")


class ClassifyResponse(BaseModel):
    """The lean of one text."""

    label: str = Field(description="the role the text leans towards")
    probabilities: dict[str, float] = Field(description="probability of each role; they sum to 1")
    lean: Literal["slight", "moderate", "strong"] = Field(
        description="how strongly the text leans; never more than slight when scope is out"
    )
    kind: Literal["posting", "resume"]
    # Absent only from models trained before scope was added.
    scope: Literal["in", "adjacent", "out"] | SkipJsonSchema[None] = Field(
        None,
        description="whether the text is about data science or ML work at all: in; adjacent (a neighbouring "
        "data job such as data analyst or data engineer); out (other work, or no work at all)",
    )
    p_in_scope: float | SkipJsonSchema[None] = Field(None, description="probability that scope is in")
    scope_evidence: list[ScopeEvidenceItem] | SkipJsonSchema[None] = Field(
        None, description="the words that moved the scope answer most (absent when explain is false)"
    )
    # Absent (never null) when the request said "explain": false.
    lexicon_matched: bool | SkipJsonSchema[None] = Field(
        None,
        description="false when no lexicon phrase was found: the label rests on model features alone "
        "(absent when explain is false, as are evidence and top_features)",
    )
    evidence: list[EvidenceItem] | SkipJsonSchema[None] = None
    top_features: list[FeatureItem] | SkipJsonSchema[None] = None
    model_version: str


class BatchResult(ClassifyResponse):
    """The lean of one text of a batch."""

    id: str | int | None = Field(None, description="the id you sent with this text")


class BatchResponse(BaseModel):
    """Results in the order of the items sent."""

    results: list[BatchResult]
    model_version: str


class FileClassifyResponse(ClassifyResponse):
    """The lean of an uploaded file; evidence offsets index ``text``, the text extracted."""

    filename: str | None
    media_type: str = Field(description="the type detected from the file's bytes")
    pages: int | None = Field(description="pages read, for a PDF")
    chars_extracted: int
    text: str = Field(description="the text extracted from the file, which evidence offsets index")


class Live(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    model_version: str


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str


class ReloadResponse(BaseModel):
    """The outcome of ``POST /admin/reload``."""

    swapped: bool = Field(description="false when the newest model is the one already served")
    previous_version: str
    model_version: str
