"""``rolelens``: label files, classify a text, train, serve and evaluate from one command.

Each subcommand imports what it needs only when it runs, so ``rolelens --help`` is
quick and ``rolelens label`` never loads the web service.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

MODEL_DIR_HELP = (
    "a models folder (its current model is used) or one model folder (default: $ROLELENS_MODEL_DIR or models)"
)


def _default_model_dir() -> str:
    return os.environ.get("ROLELENS_MODEL_DIR", "models")


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    given, text = text, text.strip().lower().removesuffix("b")
    try:
        size = int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)
    except ValueError:
        size = -1
    if size < 0:
        raise argparse.ArgumentTypeError(f"{given!r} is not a size: give bytes or a size such as 64MB, or 0")
    return size


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rolelens", description="Label files, classify a text, train, serve and evaluate RoleLens models."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    label = sub.add_parser(
        "label",
        help="label every row of a CSV or Parquet file",
        description="Label every row of a CSV (.csv, .csv.gz) or Parquet (.parquet) file. The output keeps "
        "every input column and the row order, and adds label, p_<role>, lean, scope, p_in_scope, model_version "
        "and error.",
    )
    label.add_argument("input", type=Path, help="the file to label")
    label.add_argument("-o", "--output", type=Path, required=True, help="where to write the labelled file")
    # Checked in _label rather than required here, so that the older --text-col spelling counts too.
    label.add_argument("--text-column", help="the column that holds the posting or resume text (required)")
    label.add_argument("--id-column", help="a column that names rows in the error examples of the summary")
    label.add_argument("--explain", action="store_true", help="also write evidence and top_features columns")
    label.add_argument(
        "--adapt",
        action="store_true",
        help="first learn from a sample of this file's own texts and its mix of roles, then label with that model",
    )
    label.add_argument("--workers", type=int, help="processes that label (default: every core; 0: this process)")
    again = label.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted run of the same job")
    again.add_argument("--restart", action="store_true", help="discard what an interrupted run left and start over")
    label.add_argument("--model-dir", default=None, help=MODEL_DIR_HELP)
    label.add_argument("--chunk-rows", type=int, default=2000, help="rows per chunk (default: 2000)")
    label.add_argument("--encoding", default="utf-8", help="text encoding of a CSV input (default: utf-8)")
    label.add_argument("--prefix", default="", help="put before each added column name, e.g. new_")
    label.add_argument(
        "--log-every",
        type=float,
        default=None,
        help="seconds between progress lines when not on a terminal (default: 10)",
    )
    label.add_argument(
        "--engine", choices=("local", "dask"), default="local", help="local processes (default) or a Dask cluster"
    )
    label.add_argument(
        "--scheduler", help="dask: address of the scheduler, e.g. tcp://host:8786 (default: start a local cluster)"
    )
    label.add_argument(
        "--single-file", action="store_true", help="dask: write one file instead of a folder of part files"
    )
    label.add_argument(
        "--blocksize",
        type=_size,
        default=_size("64MB"),
        help="dask: bytes of CSV per partition, e.g. 64MB; 0 reads each file whole (default: 64MB)",
    )

    classify = sub.add_parser("classify", help="classify one text given as an argument, or - for standard input")
    classify.add_argument("text", help="the posting or resume text, or - to read it from standard input")
    classify.add_argument("--kind", choices=("auto", "posting", "resume"), default="auto")
    classify.add_argument("--model-dir", default=None, help=MODEL_DIR_HELP)
    classify.add_argument("--json", action="store_true", help="print the result as JSON")

    serve = sub.add_parser("serve", help="serve the HTTP API (settings from ROLELENS_* variables)")
    serve.add_argument("--host", help="address to listen on (default: $ROLELENS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $ROLELENS_PORT or 8000)")
    serve.add_argument("--model-dir", default=None, help=MODEL_DIR_HELP)

    check = sub.add_parser(
        "check-model",
        help="check that a model can be loaded: exit 0, or say why not and exit 2",
        description="Read and check every file of a model as loading does (hashes, file types, format, "
        "library versions, the current link), without building the model. `make train` runs it to notice "
        "a damaged current model and retrain.",
    )
    # The folder is positional, as ever, and --model-dir as every other subcommand spells it.
    check.add_argument("model_folder", nargs="?", default=None, metavar="model_dir", help=MODEL_DIR_HELP)
    check.add_argument("--model-dir", default=None, help="the same, as the other subcommands spell it")
    check.add_argument("--quiet", action="store_true", help="print nothing when the model is fine")
    for command in (label, classify, serve, check):
        _old_spellings(command)

    for name, what in (
        ("train", "train a model from data/ (options: rolelens train --help)"),
        ("eval", "evaluate a saved model (options: rolelens eval --help)"),
    ):
        sub.add_parser(name, help=what, add_help=False)  # listed here, parsed by the module it runs
    return parser


def _old_spellings(parser: argparse.ArgumentParser) -> None:
    """Accept, unlisted, the option names that ``eval`` and ``train`` used before they spelled them as ``label``."""
    names = {action.dest for action in parser._actions}
    for old, new in (("--model", "model_dir"), ("--models", "model_dir"), ("--text-col", "text_column")):
        if new in names:
            parser.add_argument(old, dest=new, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse argv; an unknown option stops with the subcommand's usage and the option it may have meant."""
    args, extras = parser.parse_known_args(argv)
    if not extras:
        return args
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    known = [o for a in sub._actions if a.help != argparse.SUPPRESS for o in a.option_strings if o.startswith("--")]
    hints = []
    for extra in extras:
        name = extra.split("=", 1)[0]
        if name.startswith("--") and name not in known:
            hints += [m for m in difflib.get_close_matches(name, known, n=1, cutoff=0.6)]
    hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
    sub.error(f"unrecognized arguments: {' '.join(extras)}{hint}; see rolelens {args.command} --help")


def _read_text(arg: str) -> str | None:
    """The text to classify: the argument, or standard input for ``-``; None when it is not valid UTF-8."""
    if arg != "-":
        try:  # bytes that are not UTF-8 reach argv as lone surrogates
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return arg
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # a text stream without bytes underneath (a test's StringIO)
        return sys.stdin.read()
    try:
        return raw.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (0 done, 1 failed, 2 bad input, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    from classifier.persist import ModelLoadError
    from labelling.errors import LabelError

    try:
        if argv and argv[0] in ("train", "eval"):
            code = {"train": _train, "eval": _eval}[argv[0]](argv[1:])
        else:
            args = _parse(build_parser(), argv)
            code = {"label": _label, "classify": _classify, "serve": _serve, "check-model": _check_model}[args.command](
                args
            )
        sys.stdout.flush()  # here, so that a closed pipe is reported below and not at exit
        return code
    except (LabelError, ModelLoadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Python would report the pipe again when it flushes at exit: point standard output elsewhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(
            "error: the output was closed before all of it was written (by head, say); "
            "redirect it to a file, or pipe it into a command that reads it all",
            file=sys.stderr,
        )
        return 2
    except OSError as err:
        where = f" {err.filename}" if err.filename else ""
        print(f"error: cannot use{where}: {err.strerror or err}; check the path and its permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before a command's own handler (during start-up, say)
        print("\ninterrupted", file=sys.stderr)
        return 130


def _label(args: argparse.Namespace) -> int:
    from labelling.progress import Progress

    if args.text_column is None:
        print("error: pass --text-column NAME, the column that holds the posting or resume text", file=sys.stderr)
        return 2
    # What both engines take alike.
    job = dict(
        text_column=args.text_column,
        id_column=args.id_column,
        model_dir=args.model_dir or _default_model_dir(),
        workers=args.workers,
        explain=args.explain,
        adapt=args.adapt,
        encoding=args.encoding,
        prefix=args.prefix,
    )
    if args.engine == "dask":
        from labelling.dask_engine import label_with_dask

        if args.resume:
            print("error: --resume works with the local engine; a Dask job is rerun whole", file=sys.stderr)
            return 2
        summary = label_with_dask(
            args.input,
            args.output,
            **job,
            scheduler=args.scheduler,
            single_file=args.single_file,
            blocksize=args.blocksize or None,
        )
        print(summary)
        return 0
    from labelling.checkpoint import workdir_for
    from labelling.local import label_file

    try:
        summary = label_file(
            args.input,
            args.output,
            **job,
            resume=args.resume,
            restart=args.restart,
            chunk_rows=args.chunk_rows,
            progress=Progress(every=args.log_every),
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished chunks are kept in {workdir_for(args.output)}; "
            "run the same command with --resume to continue",
            file=sys.stderr,
        )
        return 130
    print(summary)
    return 0


SCOPE_MEANING = {
    "in": "about data science or ML work",
    "adjacent": "a neighbouring data job (analyst, data engineer...); the lean is only a hint",
    "out": "not about data science or ML work; the lean says little",
}


def _classify(args: argparse.Namespace) -> int:
    from classifier.persist import load_model

    text = _read_text(args.text)
    if text is None:
        print(
            "error: the text is not valid UTF-8: convert it first (iconv -f cp1252 -t utf-8 posting.txt "
            "| rolelens classify -), or label a file with rolelens label --encoding",
            file=sys.stderr,
        )
        return 2
    if not text.strip():
        print(
            "error: the text is empty: pass the posting or resume text, or - to read it from standard input",
            file=sys.stderr,
        )
        return 2
    model, meta = load_model(args.model_dir or _default_model_dir())
    pred = model.explain([text], kinds=[args.kind])[0]
    if args.json:
        print(
            json.dumps(
                {**pred.to_dict(), "model_version": meta.get("model_version")},
                indent=2,
            )
        )
        return 0
    p = pred.probabilities[pred.label]
    print(f"{pred.label} ({pred.lean} lean, p={p:.2f}; read as a {pred.kind})")
    if pred.scope is not None:
        print(f"scope: {pred.scope} (p_in_scope={pred.p_in_scope:.2f}): {SCOPE_MEANING[pred.scope]}")
    if pred.evidence:
        # A role name that names a colleague weighs nothing: say so rather than count it for its role.
        print(
            "evidence: "
            + "; ".join(
                f"{e.phrase} (colleague: {e.role}, no weight)" if e.kind == "colleague" else f"{e.phrase} ({e.role})"
                for e in pred.evidence
            )
        )
    else:
        print("evidence: no lexicon phrase found; the label rests on the model's features alone")
    return 0


def _check_model(args: argparse.Namespace) -> int:
    from classifier.persist import check_model

    if args.model_folder and args.model_dir and args.model_folder != args.model_dir:
        print("error: name the model folder once, as an argument or with --model-dir", file=sys.stderr)
        return 2
    folder, meta = check_model(args.model_folder or args.model_dir or _default_model_dir())
    if not args.quiet:
        print(f"model {meta['model_version']} in {folder} can be loaded")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from service.server import serve

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("model_dir", args.model_dir)) if v}
    return serve(overrides)


def _train(argv: list[str]) -> int:
    from training.train import main as train_main

    return train_main(argv)


def _eval(argv: list[str]) -> int:
    try:
        from training.evaluate import main as evaluate_main
    except ModuleNotFoundError as err:
        if err.name != "training.evaluate":
            raise
        print(
            "error: evaluation is not available in this version of RoleLens (no training.evaluate module)",
            file=sys.stderr,
        )
        return 1
    return evaluate_main(argv)


if __name__ == "__main__":
    sys.exit(main())
