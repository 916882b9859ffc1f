"""What self-training gains on real texts: learn from one half's text, score the other half.

A labelled CSV is split in two halves at random (``--split-seed``). For each half, the
seeded model (as ``make train`` builds it) self-trains on that half's *text*, its labels
unread, and both models are scored on the other half. Labels are used for scoring only,
so the figures say what a user's own unlabelled corpus of that size and kind would bring.

With ``--adapt``, the model learns as ``rolelens label --adapt`` does (self-training and
the batch's mix of roles), and is also scored on the very texts it adapted to, as a
batch job labels them.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

from classifier.model import RoleClassifier
from training.adapt import adapt
from training.evaluate import evaluate, read_labelled
from training.examples import class_prior, generate_examples
from training.selftrain import self_train
from training.train import fit_scope_answer, load_inputs

FIGURES = (("raw", "macro_f1"), ("masked", "macro_f1"), ("raw", "ece"), ("masked", "ece"))


def _quiet(_message: str) -> None:
    pass


def halves(
    path: str | Path,
    data_dir: str | Path = "data",
    text_col: str = "text",
    label_col: str = "label",
    n_per_role: int = 2000,
    seed: int = 0,
    split_seed: int = 0,
    adapting: bool = False,
    log=print,
) -> dict[str, list[float]]:
    """Mean figures (raw/masked macro-F1, raw/masked ECE) of the seeded and self-trained models over both halves.

    With ``adapting``, the second model is adapted as a batch job adapts (``training.adapt``),
    and the figures also hold the model adapted to the whole set, scored on it.
    """
    if not Path(path).is_file():
        raise ValueError(f"{path} does not exist: set DATA=path/to/labelled.csv")
    texts, labels = read_labelled(path, text_col, label_col)
    lexicon, roles, templates = load_inputs(Path(data_dir))
    unknown = sorted(set(labels) - set(roles))
    if unknown:
        raise ValueError(f"{path}: labels {unknown} are not roles; LABEL_COL must hold {' or '.join(sorted(roles))}")
    examples = generate_examples(roles, lexicon, templates, n_per_role=n_per_role, seed=seed)
    seeded = RoleClassifier(lexicon=lexicon, class_prior=class_prior(roles))
    seeded.fit([e.text for e in examples], [e.label for e in examples])
    if adapting:
        # label --adapt adapts the model make train saves, whose scope answer leaves texts of other work out.
        fit_scope_answer(
            seeded, Path(data_dir), lexicon, roles, templates, [e.text for e in examples], None, seed, _quiet
        )
    order = list(range(len(texts)))
    random.Random(split_seed).shuffle(order)
    parts = [sorted(order[: len(order) // 2]), sorted(order[len(order) // 2 :])]
    learned = "adapted" if adapting else "self-trained"
    rows: dict[str, list[list[float]]] = {"seeded": [], learned: []}

    def learn(corpus: list[str], where: str):
        if adapting:
            result = adapt(seeded, corpus, log=lambda _m: None)
            if not result.adapted:
                raise ValueError(f"{where} as the batch: {result.reason}")
            log(f"{where}: {result.summary()}")
            return result.model
        try:
            return self_train(seeded, corpus, log=lambda _m: None)[0]
        except ValueError as err:
            raise ValueError(
                f"{where} as the corpus: {err}. Each half is a corpus here, so {path} needs "
                "twice that: a few hundred labelled postings or more"
            ) from None

    def score(name: str, model, rows_of: list[int], where: str) -> list[float]:
        report = evaluate(model, [texts[i] for i in rows_of], [labels[i] for i in rows_of])
        figures = [report[v][f] for v, f in FIGURES]
        log(f"{where}: {name:>12}  " + "  ".join(f"{v} {f} {x:.3f}" for (v, f), x in zip(FIGURES, figures)))
        return figures

    for k, (learn_rows, score_rows) in enumerate((parts, parts[::-1]), start=1):
        model = learn([texts[i] for i in learn_rows], f"half {k} of {path}")
        for name, m in (("seeded", seeded), (learned, model)):
            rows[name].append(score(name, m, score_rows, f"half {k}"))
    means = {name: np.mean(r, axis=0).round(4).tolist() for name, r in rows.items()}
    if adapting:
        everything = list(range(len(texts)))
        means["seeded, whole set"] = score("seeded", seeded, everything, "whole set")
        means["adapted to the whole set"] = score(learned, learn(texts, f"all of {path}"), everything, "whole set")
    return means


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.halves", description=__doc__)
    parser.add_argument("data_csv", help="labelled CSV of real texts")
    parser.add_argument("--data", default="data", help="folder with roles.toml, templates.toml and lexicon/")
    parser.add_argument("--text-column", default="text", help="the column holding the texts (default: text)")
    parser.add_argument("--label-column", default="label", help="the column holding the true roles (default: label)")
    for old, new in (("--text-col", "text_column"), ("--label-col", "label_column")):  # earlier spellings
        parser.add_argument(old, dest=new, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated examples (default: 0)")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the split in halves (default: 0)")
    parser.add_argument("--adapt", action="store_true", help="learn as rolelens label --adapt does")
    args = parser.parse_args(argv)
    try:
        means = halves(
            args.data_csv,
            args.data,
            args.text_column,
            args.label_column,
            seed=args.seed,
            split_seed=args.split_seed,
            adapting=args.adapt,
        )
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, figures in means.items():
        print(
            f"{name if 'whole' in name else 'mean of halves, ' + name:>30}  "
            + "  ".join(f"{v} {f} {x:.3f}" for (v, f), x in zip(FIGURES, figures))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
