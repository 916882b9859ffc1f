"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

Kind = Literal["posting", "resume", "auto"]
# An error answer lists at most this many invalid fields (its message gives the count of all).
MAX_DETAILS = 20
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
    if not text.isascii():
        try:
            # Surrogates are the only characters UTF-8 cannot encode: this finds one in C, about
            # a tenth of the time the regex took on a page (a cost every text of a batch paid).
            text.encode("utf-8")
        except UnicodeEncodeError as bad:
            raise ValueError(
                f"has an unpaired UTF-16 surrogate at character {bad.start}: send valid Unicode "
                "(escape characters outside the BMP as a surrogate pair, or send them as UTF-8)"
            ) from None
    return text


def unknown_fields(given: Collection[str], known: Collection[str], where: str = "this request") -> str:
    """Say that fields are unknown without repeating their names, which may be anything (or megabytes).

    >>> unknown_fields(["explian"], ["text", "kind", "explain"])
    "1 unknown field (did you mean 'explain'?): the fields of this request are text, kind and explain"
    """
    guesses = []
    for name in list(given)[:20]:
        # Short names only: a long one is no misspelling, and difflib is slow on it.
        if len(name) <= 40:
            guesses += [g for g in difflib.get_close_matches(name, known, n=1, cutoff=0.6) if g not in guesses]
    n = len(given)
    hint = f" (did you mean {' or '.join(repr(g) for g in guesses)}?)" if guesses else ""
    *first, last = known
    return f"{n} unknown field{'' if n == 1 else 's'}{hint}: the fields of {where} are {', '.join(first)} and {last}"


@functools.cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    # model_fields is a property that builds a dict: 7 us of every item of every batch.
    return frozenset(model.model_fields)


class ClosedModel(BaseModel):
    """A request object that refuses fields it does not know, as one error, before reading the rest.

    Unknown fields are refused rather than ignored: a misspelt or misplaced option ("explain"
    on a batch item) would otherwise be dropped without a word. pydantic's own check
    (``extra="forbid"``, kept for the JSON schema) reports each unknown key with its name:
    a million of them took 20 s and 1.6 GB, and a key of 1 MB came back in the error.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_fields_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = _field_names(cls)
            unknown = [k for k in data if k not in known]
            if unknown:
                raise PydanticCustomError("unknown_field", cls._unknown_message(unknown))
        return data

    @classmethod
    def _unknown_message(cls, unknown: list[str]) -> str:
        return unknown_fields(unknown, list(cls.model_fields))


EXPLAIN_FIELD = Field(
    True,
    description="false answers only label, probabilities, lean, kind, scope and p_in_scope: faster on long texts, "
    "since finding the evidence costs about as much as the prediction",
)


class TextItem(ClosedModel):
    """A posting or resume to classify."""

    # check_text refuses a blank text; the schema says so for clients and fuzzers, and the
    # app adds maxLength from ROLELENS_MAX_TEXT_CHARS (service/openapi.py).
    text: str = Field(
        description="the posting or resume text, plain UTF-8, with at least one character that is not a space",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    kind: Kind = Field("auto", description="what the text is; 'auto' guesses from its voice")

    _check_text = field_validator("text")(check_text)


class ClassifyRequest(TextItem):
    """A posting or resume to classify, with or without the reasons."""

    explain: StrictBool = EXPLAIN_FIELD


class BatchItem(TextItem):
    """One text of a batch, with the caller's own id for it."""

    # Strict: true or 1.0 is no id of ours, and would come back as 1.
    id: str | Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)] | None = Field(
        None,
        description="your id for this text (a string, or an integer that fits in 64 bits); returned with its result",
    )

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str | int | None) -> str | int | None:
        if isinstance(value, str) and (len(value) > 256 or _SURROGATE.search(value)):
            raise ValueError("id must be at most 256 characters of valid Unicode")
        return value

    @classmethod
    def _unknown_message(cls, unknown: list[str]) -> str:
        if "explain" in unknown:
            return 'explain is not a field of an item: it applies to the whole batch, so put it beside "items"'
        return unknown_fields(unknown, list(cls.model_fields), "an item")


class BatchRequest(ClosedModel):
    """Several texts to classify in one call (the limit is ROLELENS_MAX_BATCH_ITEMS)."""

    # The app adds maxItems from ROLELENS_MAX_BATCH_ITEMS to the schema; a route dependency
    # refuses a longer list before any item is validated.
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
    """A lemma or pair of lemmas of the text (as the model reads it) and how far it moved the scope answer."""

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
        None, description="the words and word pairs that moved the scope answer most (absent when explain is false)"
    )
    # Absent (never null) when the request said "explain": false.
    lexicon_matched: bool | SkipJsonSchema[None] = Field(
        None,
        description="false when no lexicon phrase was found: the label rests on model features alone "
        "(absent when explain is false, as are evidence and top_features)",
    )
    evidence: list[EvidenceItem] | SkipJsonSchema[None] = Field(
        None, description="lexicon phrases found, in text order: the first ROLELENS_MAX_EVIDENCE of them"
    )
    evidence_total: int | SkipJsonSchema[None] = Field(
        None, description="how many phrases were found; more than evidence lists when over ROLELENS_MAX_EVIDENCE"
    )
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


class ErrorDetail(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="where, such as items[3].text")
    message: str


class ErrorInfo(BaseModel):
    """What went wrong and what to do about it."""

    status: int
    code: str = Field(description="stable, for programs to branch on: see the README's list")
    message: str = Field(description="for a person: what is wrong and what to do; never repeats the text sent")
    request_id: str | None
    details: list[ErrorDetail] = Field(
        description=f"the invalid fields, at most {MAX_DETAILS} (the message counts them all)"
    )


class ErrorResponse(BaseModel):
    """The one shape of every error answer."""

    error: ErrorInfo


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
