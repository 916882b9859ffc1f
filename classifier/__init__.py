"""RoleLens classifier: does a text lean towards the ML engineer or the data scientist role?

Nothing here trains, loads a model or reads a file at import time. The names below are
imported on first use, so that a process that only checks a model folder
(``classifier.persist.check_model``) does not pay for scikit-learn and spaCy.
"""

import importlib

_EXPORTS = {
    "Evidence": "classifier.explain",
    "Lexicon": "classifier.lexicon",
    "LexiconEntry": "classifier.lexicon",
    "LexiconError": "classifier.lexicon",
    "ModelLoadError": "classifier.persist",
    "Prediction": "classifier.model",
    "RoleClassifier": "classifier.model",
    "ScopeClassifier": "classifier.scope",
    "check_model": "classifier.persist",
    "load_model": "classifier.persist",
    "save_model": "classifier.persist",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
