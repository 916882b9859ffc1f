"""Train a RoleClassifier from the files in ``data/`` and save it as the current model."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from classifier.lexicon import Lexicon
from classifier.model import RoleClassifier
from classifier.persist import CURRENT, ModelLoadError, read_metadata, save_model
from classifier.scope import ScopeClassifier
from training.examples import Role, class_prior, examples_sha256, generate_examples, load_roles, load_templates

DATA_FILES = ("roles.toml", "templates.toml", "scope/occupations.toml")
# Generated scope texts per role text (a third of them DS/ML work, the rest neighbouring and other
# work). Other work varies more than DS/ML texts (27 jobs, with company lines in any of them): with
# twice the role texts the scope answer varied more from seed to seed and called more real DS/ML
# postings out of scope (README, "Is it about data science or ML work at all?").
SCOPE_TEXTS_PER_ROLE_TEXT = 8


def git_commit(where: Path) -> str:
    """The commit the code was trained from, ``-dirty`` when the tree has edits."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        # Any edit in the repository counts, not only in data/: code changes the model too.
        return commit + ("-dirty" if git("status", "--porcelain") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_inputs(data_dir: Path) -> tuple[Lexicon, dict[str, Role], dict]:
    """The lexicon, roles and templates of a data folder, checked against each other."""
    lexicon = Lexicon.from_dir(data_dir / "lexicon")
    roles = load_roles(data_dir / "roles.toml")
    templates = load_templates(data_dir / "templates.toml")
    unknown = sorted(set(lexicon.roles) - set(roles))
    if unknown:
        raise ValueError(
            f"{data_dir / 'lexicon'}: label(s) {unknown} are not roles of {data_dir / 'roles.toml'} "
            f"({', '.join(sorted(roles))}) or 'shared': fix the label on those lines"
        )
    return lexicon, roles, templates


def train(
    data_dir: str | Path = "data",
    models_dir: str | Path = "models",
    n_per_role: int = 2000,
    seed: int = 0,
    log: Callable[[str], None] = print,
    n_scope: int | None = None,
    eval_data: str | Path | None = None,
    eval_columns: tuple[str, str] = ("text", "label"),
    unlabeled: str | Path | None = None,
    text_col: str = "text",
    encoding: str = "utf-8",
    accept: bool = False,
    **params,
) -> Path:
    """Generate seeded examples, fit, score on held-out generated texts, save; return the folder.

    ``unlabeled`` is a CSV, CSV.gz or Parquet file of real texts (column ``text_col``;
    CSV in ``encoding``) to self-train on.
    ``n_scope`` generated scope texts (default: ``SCOPE_TEXTS_PER_ROLE_TEXT`` per role text) teach the scope answer.
    ``eval_data`` is a labelled CSV or Parquet file (its text and label columns are
    ``eval_columns``) scored after training and recorded in the metadata; it is never
    trained on. A self-trained model that scores lower on it than the seeded one is saved
    but not made current unless ``accept``.
    ``params`` go to :class:`RoleClassifier`.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    if eval_data and not Path(eval_data).is_file():
        raise ValueError(f"{eval_data} does not exist: check the path given as evaluation data")
    lexicon, roles, templates = load_inputs(data_dir)
    # Read once, before the work: both the corpus check and the scoring need it.
    scored = _read_eval(eval_data, *eval_columns) if eval_data else None
    corpus, corpus_info = _read_corpus(unlabeled, text_col, encoding, log) if unlabeled else (None, None)
    if corpus is not None and scored is not None:
        _check_apart(corpus, unlabeled, scored[0], eval_data, log)
    if corpus is not None:
        _check_corpus(corpus, unlabeled, lexicon, log)
    log(f"lexicon: {len(lexicon.entries)} phrases for {', '.join(lexicon.roles)} (+ shared)")

    params = {"class_prior": class_prior(roles), **params}
    examples = generate_examples(roles, lexicon, templates, n_per_role=n_per_role, seed=seed)
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    log(f"generated {len(examples)} examples ({n_per_role} per role, seed {seed})")

    fit_x, held_x, fit_y, held_y = train_test_split(texts, labels, test_size=0.2, random_state=seed, stratify=labels)
    held_pred = RoleClassifier(lexicon=lexicon, **params).fit(fit_x, fit_y).predict(held_x)
    metrics = {
        "heldout_generated_accuracy": round(float(accuracy_score(held_y, held_pred)), 4),
        "heldout_generated_macro_f1": round(float(f1_score(held_y, held_pred, average="macro")), 4),
    }
    log(
        f"held-out generated texts: accuracy {metrics['heldout_generated_accuracy']:.3f}, "
        f"macro-F1 {metrics['heldout_generated_macro_f1']:.3f}"
    )

    model = RoleClassifier(lexicon=lexicon, **params).fit(texts, labels)
    self_training = None
    seeded = None
    if corpus is not None:
        from training.selftrain import self_train

        seeded, (model, record) = model, self_train(model, corpus, log=log)
        self_training = {**corpus_info, "text_col": text_col, **record}
    else:
        _warn_if_current_was_self_trained(Path(models_dir), log)
    metrics["scope"] = fit_scope_answer(model, data_dir, lexicon, roles, templates, texts, n_scope, seed, log)
    if scored is not None:
        metrics[f"eval:{Path(eval_data).name}"] = _score_eval_data(model, eval_data, *scored, log, seeded)
    metadata = {
        "git_commit": git_commit(data_dir.resolve()),
        "hashes": {
            "lexicon_sha256": lexicon.sha256(),
            "examples_sha256": examples_sha256(examples),
            **{f"{name}_sha256": hashlib.sha256((data_dir / name).read_bytes()).hexdigest() for name in DATA_FILES},
        },
        "params": {k: v for k, v in model.get_params().items() if k != "lexicon"},
        "scope_params": model.scope_.get_state()[0]["params"],
        "training": {
            "n_examples": len(examples),
            "n_per_role": n_per_role,
            "seed": seed,
            "n_features": len(model.vectorizer_.vocabulary_),
            "n_scope_features": len(model.scope_.vocabulary_),
            "seconds": round(time.perf_counter() - started, 2),
        },
        "metrics": {"training": metrics},
        "self_training": self_training,
    }
    notes = {}
    if self_training:
        from training.selftrain import CANDIDATES_FILE, lexicon_candidates

        lines = [json.dumps(c) for c in lexicon_candidates(model, corpus)]
        notes[CANDIDATES_FILE] = "".join(f"{line}\n" for line in lines)
    figures = metrics.get(f"eval:{Path(eval_data).name}") if eval_data else None
    worse = bool(figures and "seeded" in figures and _fell(figures))
    folder = save_model(model, models_dir, metadata, notes, make_current=accept or not worse)
    if worse and not accept:
        current = Path(models_dir) / CURRENT
        kept = (
            f"models/current still points to {os.readlink(current)}" if current.is_symlink() else "no model is current"
        )
        log(
            f"warning: self-training lowered macro-F1 on {Path(eval_data).name}, so {folder.name} is saved in "
            f"{folder.parent} but not made current ({kept}). To use it all the same, run again with ACCEPT=1 "
            "(rolelens train --accept)"
        )
    if self_training:
        log(
            f"{len(lines)} lexicon candidates the corpus taught, for review: {folder / CANDIDATES_FILE} "
            "(copy the lines you agree with into data/lexicon/<role>.jsonl)"
        )
    log(f"saved model {folder.name} to {folder} in {time.perf_counter() - started:.1f}s")
    return folder


def fit_scope_answer(model, data_dir, lexicon, roles, templates, role_texts, n_scope, seed, log) -> dict:
    """Teach ``model`` the scope answer: its role texts are ``in``, generated texts of other jobs the rest.

    ``n_scope`` generated scope texts (None: ``SCOPE_TEXTS_PER_ROLE_TEXT`` times the role texts); returns
    figures on held-out generated texts.
    """
    from training.scope_examples import generate_scope_examples, scope_vocabulary, with_about

    n = n_scope or SCOPE_TEXTS_PER_ROLE_TEXT * len(role_texts)
    others = generate_scope_examples(data_dir, templates, roles, lexicon, n=n, seed=seed)
    # The role texts carry company lines as often as the generated ones, so that those lines lean no way.
    texts = [*with_about(role_texts, data_dir, templates, seed=seed), *(e.text for e in others)]
    labels = ["in"] * len(role_texts) + [e.label for e in others]
    # Word pairs of the job descriptions as well as their words: they read real postings a little
    # better (README, scope section) and cost little, coming from the role model's own analysis of the text.
    # No IDF: measured on generated texts it rates words by the jobs the data describe, and without it
    # real postings ranked better on both halves of dev on five seeds (README, "Is it about data
    # science or ML work at all?").
    # Each word of a text's first 50, and a role on offer named there, counts once more (``opening``): a
    # posting says what the job is at its start, other work names DS/ML work further on, as what it sells
    # or the people it serves. 50 words (about a posting's first two or three sentences) was set once, not
    # compared (README, scope section).
    # N-grams in half or more of the texts of every scope ("team", "work") are words of any text's frame:
    # their weights would say which generated texts lack them (those about no work), not which work a
    # text is about. The half was set once, not compared.
    scope = ScopeClassifier(
        vocabulary=scope_vocabulary(data_dir, lexicon, roles),
        ngram_range=(1, 2),
        use_idf=False,
        opening=50,
        frame_share=0.5,
    )
    fit_x, held_x, fit_y, held_y = train_test_split(texts, labels, test_size=0.2, random_state=seed, stratify=labels)
    held = model.fit_scope(fit_x, fit_y, scope).scope_.predict(held_x)
    figures = {
        "n_examples": len(texts),
        "heldout_generated_accuracy": round(float(accuracy_score(held_y, held)), 4),
        "heldout_generated_macro_f1": round(float(f1_score(held_y, held, average="macro")), 4),
    }
    model.fit_scope(texts, labels, scope)
    log(
        f"scope: {len(others)} generated texts of other jobs; held-out generated texts: accuracy "
        f"{figures['heldout_generated_accuracy']:.3f}, macro-F1 {figures['heldout_generated_macro_f1']:.3f}"
    )
    return figures


def _read_eval(path, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    from training.evaluate import read_labelled

    return read_labelled(path, text_col, label_col)


def _read_corpus(path, text_col: str, encoding: str, log: Callable[[str], None]):
    from training.selftrain import read_unlabeled

    texts, info = read_unlabeled(path, text_col, encoding)
    log(f"unlabelled corpus {path}: {len(texts)} texts ({info['empty_skipped']} empty rows skipped)")
    if info["undecodable_rows"]:
        log(
            f"warning: {info['undecodable_rows']} row(s) of {path} hold bytes that are not {encoding}; they were "
            "read with U+FFFD in their place. If the file has another encoding, pass it: ENCODING=latin-1"
        )
    return texts, info


def _check_apart(corpus: list[str], path, eval_texts: list[str], eval_data, log: Callable[[str], None]) -> None:
    """Refuse a corpus that is mostly the evaluation data (in any file format); warn at any overlap."""

    def key(text: str) -> str:
        return " ".join(text.lower().split())

    scored = {key(t) for t in eval_texts}
    shared = sum(key(t) in scored for t in corpus)
    if corpus and shared >= 0.1 * len(corpus):
        raise ValueError(
            f"{shared} of the {len(corpus)} texts of {path} are texts of the evaluation data {eval_data}: a model "
            "is never trained on what it is scored on, not even on its text; give UNLABELED other postings"
        )
    if shared:
        log(
            f"warning: {shared} texts of {path} are also in {eval_data}; its figures will flatter this model. "
            "Leave them out of one of the two files"
        )


def _check_corpus(corpus: list[str], path, lexicon: Lexicon, log: Callable[[str], None]) -> None:
    """Refuse a corpus that would teach nothing (mostly copies or one-liners); warn about doubtful ones."""
    from training.selftrain import check_corpus

    names = {label: [e.pattern for e in lexicon.for_label(label) if e.kind == "role_name"] for label in lexicon.roles}
    problems, warnings = check_corpus(corpus, names)
    for w in warnings:
        log(f"warning: {path}: {w}")
    if problems:
        raise ValueError(f"{path} is not a corpus to self-train on: " + "; ".join(problems))


def _warn_if_current_was_self_trained(models_dir: Path, log: Callable[[str], None]) -> None:
    # make serve and make eval retrain when data/ or the code changed; say what that drops.
    try:
        # Any format: a model of an older format is replaced too, and its corpus is worth naming.
        previous = read_metadata(models_dir, any_format=True).get("self_training")
        corpus = previous and previous["path"]
    except (ModelLoadError, AttributeError, KeyError, TypeError):
        return
    if corpus:
        keep = f"make train UNLABELED={shlex.quote(corpus)} TEXT_COL={shlex.quote(previous.get('text_col', 'text'))}"
        if previous.get("encoding", "utf-8") != "utf-8":
            keep += f" ENCODING={shlex.quote(previous['encoding'])}"
        log(
            f"warning: the current model also learned from {corpus}; this one learns from the lexicon only. "
            f"To keep both: {keep}"
        )


def _fell(figures: dict) -> bool:
    """Whether the self-trained model's macro-F1, raw or masked, is below the seeded model's."""
    return any(figures[v]["macro_f1"] < figures["seeded"][v]["macro_f1"] for v in ("raw", "masked"))


def _score_eval_data(
    model: RoleClassifier,
    path: str | Path,
    texts: list[str],
    labels: list[str],
    log: Callable[[str], None],
    seeded: RoleClassifier | None = None,
) -> dict:
    """Figures on the labelled ``texts`` of ``path``; with ``seeded``, also those of the model before self-training."""
    from training.evaluate import evaluate, summary_lines

    def figures(report: dict) -> dict:
        return {v: {k: report[v][k] for k in ("n", "accuracy", "macro_f1", "ece")} for v in ("raw", "masked")}

    report = evaluate(model, texts, labels)
    log(f"on {path} (evaluation only, never trained on):")
    for line in summary_lines(report):
        log(line)
    out = figures(report)
    if seeded is not None:
        before = evaluate(seeded, texts, labels)
        out["seeded"] = figures(before)
        change = {v: (before[v]["macro_f1"], report[v]["macro_f1"]) for v in ("raw", "masked")}
        log("self-training: " + ", ".join(f"{v} macro-F1 {a:.3f} -> {b:.3f}" for v, (a, b) in change.items()))
        if any(b < a for a, b in change.values()):
            log(
                f"warning: the self-trained model reads {Path(path).name} worse than the seeded one. A corpus of "
                "a few hundred real postings or more helps; short, formulaic or off-topic texts hurt"
            )
    return out


def parse_params(pairs: list[str]) -> dict:
    """``--set PARAM=VALUE`` options as RoleClassifier parameters; ValueError saying what to fix.

    >>> parse_params(["C=2.0", "ngram_range=(1, 2)"])
    {'C': 2.0, 'ngram_range': (1, 2)}
    """
    import ast

    known = sorted(set(RoleClassifier().get_params()) - {"lexicon"})
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--set {pair!r}: write PARAM=VALUE, such as --set C=2.0")
        if name not in known:
            raise ValueError(f"--set {name}: not a parameter of RoleClassifier; the parameters are {', '.join(known)}")
        try:
            params[name] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValueError(
                f"--set {name}={value}: the value is not a Python literal; write a number, a quoted string, "
                "a tuple such as (1, 2) or a dict"
            ) from None
    return params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rolelens train", description=__doc__)
    parser.add_argument(
        "--data", default="data", help="folder with roles.toml, templates.toml and lexicon/ (default: data)"
    )
    parser.add_argument("--model-dir", default="models", help="the models folder new models go into (default: models)")
    parser.add_argument("--n-per-role", type=int, default=2000, help="generated texts per role (default: 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: 0)")
    parser.add_argument("--eval", metavar="CSV", help="labelled CSV to score after training (never trained on)")
    parser.add_argument("--unlabeled", metavar="CSV", help="CSV of real, unlabelled texts to self-train on")
    parser.add_argument("--eval-text-column", default="text", help="text column of the --eval data (default: text)")
    parser.add_argument("--eval-label-column", default="label", help="label column of the --eval data (default: label)")
    parser.add_argument("--text-column", default="text", help="text column of --unlabeled (default: text)")
    parser.add_argument("--encoding", default="utf-8", help="encoding of a CSV --unlabeled (default: utf-8)")
    # Spellings of earlier releases, kept for one release and not listed.
    for old, new in (("--model", "model_dir"), ("--models", "model_dir"), ("--text-col", "text_column")):
        parser.add_argument(old, dest=new, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    # The README writes "unlabelled"; that spelling of the option must not be an error.
    parser.add_argument("--unlabelled", dest="unlabeled", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--accept",
        action="store_true",
        help="make a self-trained model current even when it scores lower on --eval than the seeded one",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="a RoleClassifier parameter, as a Python literal (e.g. --set C=2.0)",
    )
    args = parser.parse_args(argv)
    try:
        params = parse_params(args.set)
        train(
            args.data,
            args.model_dir,
            n_per_role=args.n_per_role,
            seed=args.seed,
            eval_data=args.eval,
            eval_columns=(args.eval_text_column, args.eval_label_column),
            unlabeled=args.unlabeled,
            text_col=args.text_column,
            encoding=args.encoding,
            accept=args.accept,
            **params,
        )
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
