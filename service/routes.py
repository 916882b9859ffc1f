"""HTTP routes: classify a text, report health."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from service.deps import LoadedModel, ModelDep, SettingsDep
from service.schemas import ClassifyRequest, ClassifyResponse, EvidenceItem, FeatureItem, Health

router = APIRouter()


def classify_one(loaded: LoadedModel, text: str, kind: str) -> ClassifyResponse:
    pred = loaded.model.explain([text], kinds=[kind])[0]
    return ClassifyResponse(
        label=pred.label,
        probabilities=pred.probabilities,
        lean=pred.lean,
        kind=pred.kind,
        lexicon_matched=pred.lexicon_matched,
        evidence=[
            EvidenceItem(phrase=e.phrase, start=e.start, end=e.end, role=e.role, weight=e.weight, kind=e.kind)
            for e in pred.evidence
        ],
        top_features=[FeatureItem(feature=f, role=r, contribution=c) for f, r, c in pred.top_features],
        model_version=loaded.version,
    )


@router.post("/classify", response_model=ClassifyResponse, summary="Classify one posting or resume")
async def classify(body: ClassifyRequest, loaded: ModelDep, settings: SettingsDep) -> ClassifyResponse:
    if len(body.text) > settings.max_text_chars:
        raise HTTPException(
            422,
            f"text has {len(body.text)} characters; the limit is {settings.max_text_chars} "
            "(ROLELENS_MAX_TEXT_CHARS): send the posting or resume without attachments or split it",
        )
    # The model is CPU-bound; run it off the event loop so health checks stay responsive.
    return await run_in_threadpool(classify_one, loaded, body.text, body.kind)


@router.get("/health", response_model=Health, summary="Liveness and the model being served")
async def health(loaded: ModelDep) -> Health:
    return Health(status="ok", model_version=loaded.version)
