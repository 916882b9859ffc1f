"""RoleLens classifier: does a text lean towards the ML engineer or the data scientist role?

Nothing here trains, loads a model or reads a file at import time.
"""

from classifier.lexicon import Lexicon, LexiconEntry, LexiconError
from classifier.model import Evidence, Prediction, RoleClassifier
from classifier.persist import ModelLoadError, load_model, save_model

__all__ = [
    "Evidence",
    "Lexicon",
    "LexiconEntry",
    "LexiconError",
    "ModelLoadError",
    "Prediction",
    "RoleClassifier",
    "load_model",
    "save_model",
]
