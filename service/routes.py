"""HTTP routes that classify: one text, a batch, an uploaded file."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from service.deps import MetricsDep, ModelDep, SettingsDep
from service.errors import UPLOAD_HINT, ApiError, error_responses
from service.extract import Limits, extract_text, parses_in_worker
from service.metrics import Metrics
from service.model_slot import LoadedModel
from service.schemas import (
    BatchRequest,
    BatchResponse,
    ClassifyRequest,
    ClassifyResponse,
    FileClassifyResponse,
    Kind,
    check_text,
    unknown_fields,
)
from service.settings import Settings
from service.strict_json import StrictJsonRoute


def _media_type(request: Request) -> tuple[str, str]:
    """The request's media type, lowercase without parameters, and how an error names it."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media, f"'{media}'" if media else "no Content-Type"


async def require_json(request: Request) -> None:
    """Refuse a body that is not declared as JSON, before trying to read it as JSON."""
    media, shown = _media_type(request)
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"this endpoint takes JSON but the request has {shown}: send Content-Type: "
            "application/json, or upload files to /classify/file",
        )


async def require_multipart(request: Request) -> None:
    """Refuse a body that is not a multipart upload, as :func:`require_json` refuses one that is not JSON."""
    media, shown = _media_type(request)
    if media != "multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"this endpoint takes a file upload but the request has {shown}: {UPLOAD_HINT}, "
            "or send JSON text to /classify",
        )


async def check_batch_size(request: Request, settings: SettingsDep) -> None:
    """Refuse a batch over ROLELENS_MAX_BATCH_ITEMS before any of its items is validated.

    FastAPI solves dependencies before it validates the body, and has parsed the JSON already
    (``request.json()`` returns it from cache). Validating first cost 56 s and 5.4 GB on a
    12 MB body of four million empty items, one error each.
    """
    try:
        body = await request.json()
    except ValueError:
        return  # not JSON: the body's own validation says so
    items = body.get("items") if isinstance(body, dict) else None
    if isinstance(items, list) and len(items) > settings.max_batch_items:
        raise ApiError(
            422,
            "batch_too_large",
            f"the batch has {len(items)} items; the limit is {settings.max_batch_items} "
            "(ROLELENS_MAX_BATCH_ITEMS): split it into smaller batches",
        )


router = APIRouter(responses=error_responses(400, 408, 413, 415, 422, 431, 500, 503))
json_router = APIRouter(
    dependencies=[Depends(require_json)],
    responses=error_responses(400, 408, 413, 415, 422, 431, 500, 503),
    route_class=StrictJsonRoute,  # a key given twice is refused, not overwritten
)


def check_length(text: str, settings: Settings, field: str = "text") -> None:
    """Refuse a text longer than the configured limit, naming the limit."""
    if len(text) > settings.max_text_chars:
        raise ApiError(
            422,
            "text_too_long",
            f"{field} has {len(text)} characters; the limit is {settings.max_text_chars} "
            "(ROLELENS_MAX_TEXT_CHARS): send the posting or resume without attachments, or split it",
        )


async def classify_texts(
    loaded: LoadedModel,
    texts: Sequence[str],
    kinds: Sequence[str],
    metrics: Metrics,
    settings: Settings,
    explain: bool = True,
) -> list[dict[str, Any]]:
    """Classify texts with one model call, on the event loop or in a thread by their size.

    The hop to a worker thread and the GIL hand-offs between threads cost more than they
    give back: with 4 clients, one posting a request had p50 14.7 ms in threads against 6.8 ms
    on the loop, and batches of 32 postings without evidence went 12 % faster on the loop.
    Work over ``settings.inline_chars`` goes to the thread pool, so that one huge batch cannot
    stall health checks: 150,000 characters take about 32 ms with evidence.
    """
    args = (loaded, texts, kinds, metrics, explain, settings.max_evidence)
    if sum(map(len, texts)) <= settings.inline_chars:
        return _classify(*args)
    return await run_in_threadpool(_classify, *args)


def _classify(
    loaded: LoadedModel,
    texts: Sequence[str],
    kinds: Sequence[str],
    metrics: Metrics,
    explain: bool,
    max_evidence: int,
) -> list[dict[str, Any]]:
    """Explain each text with one model call; results in input order, shaped as ClassifyResponse.

    Plain dicts, not pydantic objects: a long text has hundreds of evidence items, and
    building a model object for each cost more than finding them. Evidence is cut to the
    first ``max_evidence`` phrases of each text (``evidence_total`` counts them all): 256
    texts of 60,000 characters answered 100 MB and took 680 MB more memory without a cap.
    """
    version = loaded.version
    out = []
    predictions = loaded.model.explain(texts, kinds=kinds, reasons=explain)
    # One counter update per label, not per text: each takes the metric's lock.
    for label, n in Counter(pred.label for pred in predictions).items():
        metrics.predictions.labels(label).inc(n)
    for pred in predictions:
        total = len(pred.evidence)
        if total > max_evidence:
            pred = dataclasses.replace(pred, evidence=pred.evidence[:max_evidence])
        result = {**pred.to_dict(), "model_version": version}
        if explain:
            result["evidence_total"] = total
        out.append(result)
    return out


def json_response(content: Any) -> Response:
    """Serialise a result that was built in its response schema's shape, without validating it again.

    orjson rather than the standard library: a long posting's answer has hundreds of evidence
    items, and json.dumps took as long on them as finding them.
    """
    return Response(orjson.dumps(content), media_type="application/json")


@json_router.post("/classify", response_model=ClassifyResponse, summary="Classify one posting or resume")
async def classify(body: ClassifyRequest, loaded: ModelDep, settings: SettingsDep, metrics: MetricsDep) -> Response:
    check_length(body.text, settings)
    results = await classify_texts(loaded, [body.text], [body.kind], metrics, settings, body.explain)
    return json_response(results[0])


@json_router.post(
    "/classify/batch",
    response_model=BatchResponse,
    summary="Classify up to ROLELENS_MAX_BATCH_ITEMS texts, results in input order",
    dependencies=[Depends(check_batch_size)],
)
async def classify_batch(body: BatchRequest, loaded: ModelDep, settings: SettingsDep, metrics: MetricsDep) -> Response:
    for i, item in enumerate(body.items):
        check_length(item.text, settings, f"items[{i}].text")
    texts = [item.text for item in body.items]
    kinds = [item.kind for item in body.items]
    results = await classify_texts(loaded, texts, kinds, metrics, settings, body.explain)
    return json_response(
        {
            "results": [{"id": item.id, **r} for item, r in zip(body.items, results)],
            "model_version": loaded.version,
        }
    )


@router.post(
    "/classify/file",
    response_model=FileClassifyResponse,
    summary="Classify an uploaded PDF, DOCX or plain-text file",
    dependencies=[Depends(require_multipart)],
)
async def classify_file(
    file: Annotated[
        UploadFile, File(description="a PDF, DOCX or UTF-8 text file, not empty", json_schema_extra={"minLength": 1})
    ],
    loaded: ModelDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    request: Request,
    kind: Annotated[Kind, Form(description="posting, resume or auto")] = "auto",
    # The words only: a form has no booleans, and "yes" or "1" would be guesses.
    explain: Annotated[
        Literal["true", "false"], Form(description="false answers without evidence and top features")
    ] = "true",
) -> Response:
    check_upload_fields(await request.form())  # already parsed for the parameters above: from cache
    data = await file.read(settings.max_file_bytes + 1)
    if len(data) > settings.max_file_bytes:
        raise ApiError(
            413,
            "file_too_large",
            f"the file is over {settings.max_file_bytes} bytes (ROLELENS_MAX_FILE_BYTES): upload only "
            "the posting or resume, without images",
        )
    limits = Limits(settings.max_file_pages, settings.max_unzipped_bytes, settings.max_zip_ratio)
    if parses_in_worker(data):
        extracted = await request.app.state.file_pool.extract(data, limits, settings.file_timeout_seconds)
    else:  # plain text is decoded here: quick, bounded, and never refused for a busy pool
        extracted = extract_text(data, limits)
    try:
        check_text(extracted.text)
    except ValueError as err:
        code = "invalid_text" if extracted.text.strip() else "empty_text"
        raise ApiError(422, code, f"the text extracted from the file: {err}") from None
    check_length(extracted.text, settings, "the text extracted from the file")
    result = (await classify_texts(loaded, [extracted.text], [kind], metrics, settings, explain == "true"))[0]
    return json_response(
        {
            **result,
            "filename": _safe_name(file.filename),
            "media_type": extracted.media_type,
            "pages": extracted.pages,
            "chars_extracted": len(extracted.text),
            "text": extracted.text,
        }
    )


UPLOAD_FIELDS = ("file", "kind", "explain")


def check_upload_fields(form: FormData) -> None:
    """Refuse an upload's unknown, repeated or empty form fields rather than ignore them.

    Field names are what the client sent (any size): only ours are named back. An empty
    value is refused because FastAPI reads it as "not sent" and would use the default.
    """
    unknown = [k for k in dict.fromkeys(form.keys()) if k not in UPLOAD_FIELDS]
    repeated = [k for k in UPLOAD_FIELDS if len(form.getlist(k)) > 1]
    blank = [k for k in ("kind", "explain") if form.get(k) == ""]
    if unknown or repeated or blank:
        # As for a JSON body, details name each field of ours that is wrong (unknown names are the client's).
        details = [
            {"field": k, "message": f"sent {len(form.getlist(k))} times; send one (use /classify/batch for many texts)"}
            for k in repeated
        ] + [
            {"field": k, "message": "empty; send one of its values (see /docs), or leave the field out"} for k in blank
        ]
        raise ApiError(
            422,
            "invalid_request",
            "; ".join(
                ([unknown_fields(unknown, UPLOAD_FIELDS, "this upload")] if unknown else [])
                + [f"{d['field']}: {d['message']}" for d in details]
            ),
            details,
        )


def _safe_name(name: str | None) -> str | None:
    """The upload's name as valid UTF-8, at most 256 characters, for echoing back."""
    return None if name is None else name.encode("utf-8", "replace").decode("utf-8")[:256]
