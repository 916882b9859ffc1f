"""Scoring one chunk of texts: the columns a labelled file gains, shared by every engine.

The work is done per chunk, not per row: texts are checked with pyarrow compute,
the valid ones go to the model in one call (role probabilities and scope), and the results are
scattered back so that every input row gets an output row, labelled or with an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from classifier.explain import cut
from labelling.errors import LabelError

# Texts explained together: each one's cut (a list of its words and marks, a few times its size)
# serves the features and the evidence, and a whole chunk's cuts held at once cost 100 MB.
EXPLAIN_SLICE = 256
MISSING_TEXT = "missing text: the text column is empty (null) in this row"
EMPTY_TEXT = "empty text: the text column is empty or only whitespace in this row"


def output_columns(classes: Sequence[str], explain: bool = False, prefix: str = "") -> list[str]:
    """Names of the columns appended to every row, in order.

    >>> output_columns(["data_scientist", "ml_engineer"])
    ['label', 'p_data_scientist', 'p_ml_engineer', 'lean', 'scope', 'p_in_scope', 'model_version', 'error']
    """
    names = ["label", *(f"p_{c}" for c in classes), "lean", "scope", "p_in_scope", "model_version", "error"]
    if explain:
        names += ["evidence", "top_features"]
    return [prefix + n for n in names]


def output_schema(classes: Sequence[str], explain: bool = False, prefix: str = "") -> pa.Schema:
    """Arrow types of the appended columns (probabilities are float64, the rest strings)."""
    names = output_columns(classes, explain, prefix)
    probs = {prefix + f"p_{c}" for c in classes} | {prefix + "p_in_scope"}
    return pa.schema([(n, pa.float64() if n in probs else pa.string()) for n in names])


def check_columns(
    path,
    columns: Sequence[str],
    text_column: str,
    id_column: str | None,
    classes: Sequence[str],
    explain: bool,
    prefix: str,
) -> None:
    """Stop before any work when a named column is missing or an added column exists already."""
    listed = ", ".join(repr(c) for c in columns)
    for option, name in (("--text-column", text_column), ("--id-column", id_column)):
        if name is not None and name not in columns:
            raise LabelError(f"{path} has no column {name!r}; its columns are {listed}: pass one of them with {option}")
        if name is not None and list(columns).count(name) > 1:
            raise LabelError(
                f"{path} has {list(columns).count(name)} columns named {name!r}: rename all but one "
                f"so that {option} names one column"
            )
    clash = sorted(set(columns) & set(output_columns([str(c) for c in classes], explain, prefix)))
    if clash:
        raise LabelError(
            f"{path} already has the column(s) {', '.join(clash)} that labelling adds: "
            "pass --prefix (e.g. --prefix new_) to name the new columns differently"
        )


def check_input_types(path, schema: pa.Schema, text_column: str, out_format: str) -> None:
    """Stop before any work when a Parquet text column is not text, or nested columns would go to CSV."""
    kind = schema.field(text_column).type
    if pa.types.is_dictionary(kind):  # pandas' category: read as the strings it holds
        kind = kind.value_type
    if not (pa.types.is_null(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        if not pa.types.is_string_view(kind):
            raise LabelError(
                f"{path}: column {text_column!r} holds {kind} values, not text: pass the column that holds "
                "the posting or resume text with --text-column, or convert this one to strings"
            )
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if out_format == "csv" and nested:
        raise LabelError(
            f"{path}: column(s) {', '.join(map(repr, nested))} hold lists, structs or maps, which a CSV file "
            "cannot hold: write Parquet instead (-o OUTPUT.parquet)"
        )


def text_errors(texts: pa.Array, read_errors: Sequence[str | None] | None = None) -> np.ndarray:
    """Why each row cannot be labelled (an object array, ``None`` where it can).

    A problem found while reading the row (a ragged line, undecodable bytes) comes
    first; then a missing (null) text, then a blank one.

    >>> list(text_errors(pa.array(["ok", None, "  "]), [None, None, None]))[0] is None
    True
    """
    errors = np.array(read_errors if read_errors is not None else [None] * len(texts), dtype=object)
    free = np.equal(errors, None)
    missing = texts.is_null().to_numpy(zero_copy_only=False)
    blank = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), False)
    blank = blank.to_numpy(zero_copy_only=False)
    errors[free & missing] = MISSING_TEXT
    errors[free & ~missing & blank] = EMPTY_TEXT
    return errors


def as_text_array(values: Any) -> pa.Array:
    """A chunk's text column as an arrow string array; numbers and other values are not texts."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else pa.array(values, from_pandas=True)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_null(array.type):
        return array.cast(pa.string())
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        return array.cast(pa.string())
    if not pa.types.is_string(array.type):
        raise TypeError(f"the text column holds {array.type} values, not text")
    return array


class Scorer:
    """Labels chunks of texts with a loaded model.

    Parameters
    ----------
    model : RoleClassifier
        A fitted model.
    model_version : str
        Written on every row, so a labelled file says which model labelled it.
    explain : bool
        Also fill ``evidence`` and ``top_features`` (see :mod:`labelling.explain`).
    prefix : str
        Put before every appended column name.
    """

    def __init__(self, model, model_version: str, explain: bool = False, prefix: str = ""):
        self.model = model
        self.model_version = model_version
        self.explain = explain
        self.prefix = prefix
        self.classes = [str(c) for c in model.classes_]
        self.schema = output_schema(self.classes, explain, prefix)
        self._explainer = None

    def score(self, texts: Any, read_errors: Sequence[str | None] | None = None) -> pa.Table:
        """The appended columns for one chunk, one row per text, in the same order."""
        texts = as_text_array(texts)
        n = len(texts)
        errors = text_errors(texts, read_errors)
        ok = np.equal(errors, None)
        idx = np.flatnonzero(ok)
        proba = np.full((n, len(self.classes)), np.nan)
        labels = np.full(n, None, dtype=object)
        leans = np.full(n, None, dtype=object)
        scopes, p_in = np.full(n, None, dtype=object), np.full(n, np.nan)
        evidence = top = None
        if len(idx):
            valid = texts.take(pa.array(idx)).to_numpy(zero_copy_only=False)
            if self.explain:
                evidence, top = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
                valid_scopes, valid_p_in = np.full(len(idx), None, dtype=object), np.full(len(idx), np.nan)
                for a in range(0, len(idx), EXPLAIN_SLICE):
                    part = slice(a, a + EXPLAIN_SLICE)
                    rows = idx[part]
                    proba[rows], part_scopes, part_p_in, evidence[rows], top[rows] = self._explained(valid[part])
                    if part_scopes is not None:  # None from a model without a scope answer
                        valid_scopes[part], valid_p_in[part] = part_scopes, part_p_in
            else:
                proba[idx], valid_scopes, valid_p_in = self.model.assess(valid)
            if valid_scopes is not None:
                scopes[idx], p_in[idx] = valid_scopes, valid_p_in
            best = proba[idx].argmax(axis=1)
            labels[idx] = np.asarray(self.classes, dtype=object)[best]
            leans[idx] = [self.model.lean_of(float(p), s) for p, s in zip(proba[idx, best], scopes[idx])]
        columns = [pa.array(labels, pa.string())]
        columns += [pa.array(proba[:, j], pa.float64(), mask=~ok) for j in range(len(self.classes))]
        columns += [
            pa.array(leans, pa.string()),
            pa.array(scopes, pa.string()),
            pa.array(p_in, pa.float64(), mask=np.equal(scopes, None)),
            pa.array(np.full(n, self.model_version, dtype=object), pa.string()),
            pa.array(errors, pa.string()),
        ]
        if self.explain:
            empty = np.full(n, None, dtype=object)
            columns += [
                pa.array(evidence if evidence is not None else empty, pa.string()),
                pa.array(top if top is not None else empty, pa.string()),
            ]
        return pa.Table.from_arrays(columns, schema=self.schema)

    def _explained(self, texts) -> tuple:
        """Probabilities, scopes, ``p_in_scope``, evidence and top features of texts, each cut into words once.

        The evidence finder cuts each text into words and marks; the features take their words from
        that cut rather than cut the text a second time. A slice's cuts are held only while it is read.
        """
        from labelling.explain import BatchExplainer

        if self._explainer is None:
            self._explainer = BatchExplainer(self.model)
        cuts = list(map(cut, texts))
        features, scopes, p_in = self.model.features_and_scope(texts, cuts=cuts)
        evidence, top = self._explainer.describe(texts, features, cuts)
        return self.model.predict_proba_features(features), scopes, p_in, evidence, top
