"""Dependencies that hand routes what the lifespan handler loaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from classifier.model import RoleClassifier
from service.settings import Settings


@dataclass(frozen=True)
class LoadedModel:
    """A model and the metadata it was saved with."""

    model: RoleClassifier
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))


def get_loaded_model(request: Request) -> LoadedModel:
    return request.app.state.loaded


ModelDep = Annotated[LoadedModel, Depends(get_loaded_model)]


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
