"""The rolelens command line: label, classify, and delegation to train, serve and eval."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import types

import pandas as pd
import pytest

from rolelens.cli import build_parser, main


def test_label_command_writes_the_file_and_prints_a_summary(tmp_path, jobs_csv, models_dir, capsys):
    """`rolelens label` labels the file and ends with rows, labels, errors and time."""
    code = main(
        [
            "label",
            str(jobs_csv),
            "-o",
            str(tmp_path / "out.parquet"),
            "--text-column",
            "text",
            "--id-column",
            "id",
            "--workers",
            "0",
            "--model-dir",
            str(models_dir),
        ]
    )
    assert code == 0
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 30
    out = capsys.readouterr().out
    assert "labelled 30 rows" in out and "labels: data_scientist" in out and "errors: 0" in out


def test_label_command_reports_a_missing_column_and_fails(tmp_path, jobs_csv, models_dir, capsys):
    """A wrong text column exits with status 2 and a message naming the columns there are."""
    code = main(
        [
            "label",
            str(jobs_csv),
            "-o",
            str(tmp_path / "out.csv"),
            "--text-column",
            "body",
            "--model-dir",
            str(models_dir),
        ]
    )
    assert code == 2
    assert "no column 'body'" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()


def test_label_without_a_model_says_to_train(tmp_path, jobs_csv, capsys):
    """Labelling with no trained model exits 2 and says to run make train."""
    code = main(
        [
            "label",
            str(jobs_csv),
            "-o",
            str(tmp_path / "o.csv"),
            "--text-column",
            "text",
            "--model-dir",
            str(tmp_path / "nothing"),
        ]
    )
    assert code == 2 and "make train" in capsys.readouterr().err


def test_classify_a_text_and_standard_input(models_dir, samples, capsys, monkeypatch):
    """`rolelens classify TEXT` and `rolelens classify -` print the role of the text."""
    assert main(["classify", samples[0]["text"], "--model-dir", str(models_dir)]) == 0
    assert capsys.readouterr().out.startswith(samples[0]["label"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(samples[3]["text"]))
    assert main(["classify", "-", "--json", "--model-dir", str(models_dir)]) == 0
    assert f'"label": "{samples[3]["label"]}"' in capsys.readouterr().out


def test_classify_refuses_empty_text(models_dir, capsys, monkeypatch):
    """Empty standard input is an error with a hint, not a guess."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    assert main(["classify", "-", "--model-dir", str(models_dir)]) == 2
    assert "empty" in capsys.readouterr().err


def test_train_and_eval_pass_their_arguments_on(monkeypatch):
    """`rolelens train ...` and `rolelens eval ...` hand every argument to the training modules."""
    seen = {}
    import training.train

    monkeypatch.setattr(training.train, "main", lambda argv: seen.setdefault("train", argv) and 0)
    fake = types.ModuleType("training.evaluate")
    fake.main = lambda argv: seen.setdefault("eval", argv) and 0
    monkeypatch.setitem(sys.modules, "training.evaluate", fake)
    assert main(["train", "--n-per-role", "10", "--seed", "3"]) == 0
    assert main(["eval", "--help"]) == 0
    assert seen == {"train": ["--n-per-role", "10", "--seed", "3"], "eval": ["--help"]}


def test_eval_without_the_evaluation_module_says_so(monkeypatch, capsys):
    """Where training.evaluate is missing, `rolelens eval` says evaluation is not available."""
    monkeypatch.setitem(sys.modules, "training.evaluate", None)
    assert main(["eval"]) == 1
    assert "evaluation is not available" in capsys.readouterr().err


def test_serve_builds_the_app_from_settings_and_options(monkeypatch, models_dir):
    """`rolelens serve --port N` runs uvicorn on the service app with those settings."""
    import uvicorn

    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.update(app=app, **kw))
    assert main(["serve", "--port", "8123", "--model-dir", str(models_dir)]) == 0
    assert calls["port"] == 8123 and calls["host"] == "127.0.0.1"
    assert calls["app"].state.settings.model_dir == models_dir


@pytest.mark.e2e
def test_label_as_a_process_logs_progress_lines_and_the_summary(tmp_path, jobs_csv, models_dir):
    """Run as a real process (not a terminal): progress is plain log lines, the summary is on stdout."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rolelens",
            "label",
            str(jobs_csv),
            "-o",
            str(tmp_path / "out.csv"),
            "--text-column",
            "text",
            "--workers",
            "1",
            "--chunk-rows",
            "10",
            "--log-every",
            "0",
            "--model-dir",
            str(models_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert run.returncode == 0, run.stderr
    assert "labelling: 30 rows," in run.stderr and "\r" not in run.stderr
    assert run.stdout.startswith("labelled 30 rows")


@pytest.mark.e2e
def test_ctrl_c_keeps_finished_chunks_and_resume_finishes_the_job(tmp_path, rows, models_dir):
    """SIGINT stops a real run with status 130 and no output file; --resume then writes every row once."""
    import json
    import signal
    import time

    from labelling.checkpoint import STATE_FILE, workdir_for

    from .conftest import write_csv

    src = write_csv(tmp_path / "many.csv", [{**r, "id": f"{n}-{r['id']}"} for n in range(40) for r in rows])
    out = tmp_path / "out.csv"
    cmd = [
        sys.executable,
        "-m",
        "rolelens",
        "label",
        str(src),
        "-o",
        str(out),
        "--text-column",
        "text",
        "--workers",
        "1",
        "--chunk-rows",
        "20",
        "--model-dir",
        str(models_dir),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = workdir_for(out) / STATE_FILE
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists() and json.loads(state.read_text())["rows_done"] > 0:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and not out.exists()
    done = json.loads(state.read_text())["rows_done"]
    assert 0 < done < 1200
    rerun = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done:,} of them in an earlier run" in rerun.stdout
    labelled = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert labelled["id"].tolist() == [f"{n}-{r['id']}" for n in range(40) for r in rows]


@pytest.mark.e2e
def test_workers_exit_when_the_labelling_process_is_killed(tmp_path, rows, models_dir):
    """kill -9 of a running job leaves no worker process behind holding memory."""
    import signal
    import time

    from .conftest import write_csv

    src = write_csv(tmp_path / "many.csv", rows * 40)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rolelens",
            "label",
            str(src),
            "-o",
            str(tmp_path / "out.csv"),
            "--text-column",
            "text",
            "--workers",
            "2",
            "--chunk-rows",
            "20",
            "--model-dir",
            str(models_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def children() -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1]) == proc.pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
        return found

    deadline = time.monotonic() + 60
    while len(children()) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    workers = children()
    assert len(workers) >= 2
    time.sleep(1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [
            pid
            for pid in workers
            if os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        ]
    assert not alive


def test_serve_with_a_bad_setting_names_the_variable():
    """rolelens serve refuses a malformed ROLELENS_* value with the variable's name, not a traceback."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "ROLELENS_PORT": "abc"}
    run = subprocess.run(
        [sys.executable, "-m", "rolelens", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "ROLELENS_PORT" in run.stderr and "Traceback" not in run.stderr


def test_classify_into_a_closed_pipe_is_a_clean_error(models_dir, samples):
    """`rolelens classify ... | head` with the pipe closed early: `error:` on stderr, status 2, no traceback."""
    read, write = os.pipe()
    os.close(read)  # what head does once it has its lines
    run = subprocess.run(
        [sys.executable, "-m", "rolelens", "classify", samples[0]["text"], "--json", "--model-dir", str(models_dir)],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(write)
    assert run.returncode == 2 and run.stderr.startswith("error: the output was closed")
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr


def test_every_subcommand_spells_its_options_alike():
    """label, classify, serve, eval and train all take --model-dir; texts are --text-column everywhere."""
    from training.evaluate import build_parser as eval_parser
    from training.train import main as train_main

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("label", "classify", "serve", "check-model"):
        assert "--model-dir" in sub.choices[name].format_help()
    assert "--text-column" in sub.choices["label"].format_help()
    help_text = eval_parser().format_help()
    assert "--model-dir" in help_text and "--text-column" in help_text and "--label-column" in help_text
    with pytest.raises(SystemExit) as shown:
        train_main(["--help"])
    assert shown.value.code == 0


def test_train_takes_the_new_and_the_old_spelling(monkeypatch, tmp_path):
    """`rolelens train --model-dir X` and the older `--models X` both reach training with X."""
    import training.train

    seen = []
    monkeypatch.setattr(training.train, "train", lambda data, models, **kw: seen.append((models, kw["text_col"])))
    assert training.train.main(["--model-dir", "a", "--text-column", "body"]) == 0
    assert training.train.main(["--models", "b", "--text-col", "t"]) == 0
    assert seen == [("a", "body"), ("b", "t")]


def test_label_takes_the_old_spellings_unlisted(tmp_path, jobs_csv, models_dir):
    """`rolelens label --text-col ... --model ...` works as the new spelling does."""
    out = tmp_path / "out.csv"
    args = ["label", str(jobs_csv), "-o", str(out), "--text-col", "text", "--model", str(models_dir)]
    assert main([*args, "--workers", "0"]) == 0 and len(pd.read_csv(out)) == 30
    assert "--text-col " not in build_parser().format_help()


def test_label_without_a_text_column_says_to_pass_one(tmp_path, jobs_csv, capsys):
    """Leaving out --text-column is an error that names the option, status 2."""
    assert main(["label", str(jobs_csv), "-o", str(tmp_path / "o.csv")]) == 2
    assert "pass --text-column" in capsys.readouterr().err


def test_classify_says_when_a_text_is_out_of_scope(models_dir, capsys):
    """`rolelens classify` on a posting of other work prints its scope, and --json carries scope and p_in_scope."""
    text = "Accounts Payable Clerk: process invoices, reconcile supplier statements and support the month-end close."
    assert main(["classify", text, "--model-dir", str(models_dir)]) == 0
    printed = capsys.readouterr().out
    assert "slight lean" in printed and "scope: out" in printed and "not about data science or ML work" in printed
    assert main(["classify", text, "--json", "--model-dir", str(models_dir)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["scope"] == "out" and 0 <= answer["p_in_scope"] < 0.5 and answer["lean"] == "slight"


def test_a_misspelt_option_gets_the_subcommand_usage_and_a_suggestion(capsys):
    """`rolelens label ... --explian` stops with status 2, the label usage and the option it may have meant."""
    with pytest.raises(SystemExit) as stopped:
        main(["label", "in.csv", "-o", "out.csv", "--text-column", "text", "--explian"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "usage: rolelens label" in err and "did you mean --explain?" in err
    with pytest.raises(SystemExit):
        main(["classify", "--kidn=resume", "some text"])
    assert "did you mean --kind?" in capsys.readouterr().err


def test_classify_marks_a_colleague_role_name_as_weighing_nothing(models_dir, capsys):
    """A role name that names a colleague is printed as a colleague, not as evidence for its role."""
    text = "Led a team of data scientists; as ML engineer I built model serving and CI/CD for training pipelines."
    assert main(["classify", text, "--kind", "resume", "--model-dir", str(models_dir)]) == 0
    evidence = capsys.readouterr().out.splitlines()[-1]
    assert "data scientists (colleague: data_scientist, no weight)" in evidence
    assert "ML engineer (ml_engineer)" in evidence


def test_classify_refuses_text_that_is_not_utf8(models_dir, capsys, monkeypatch):
    """Bytes that are not UTF-8, on standard input or in the argument, are an error with a fix, not a traceback."""
    stdin = io.TextIOWrapper(io.BytesIO("caf\xe9 data scientist".encode("cp1252")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["classify", "-", "--model-dir", str(models_dir)]) == 2
    assert "not valid UTF-8" in capsys.readouterr().err
    assert main(["classify", "caf\udce9 data scientist", "--model-dir", str(models_dir)]) == 2
    assert "iconv" in capsys.readouterr().err
    stdin = io.TextIOWrapper(io.BytesIO("\ufeffI am a data scientist".encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["classify", "-", "--json", "--model-dir", str(models_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "data_scientist"


def test_train_takes_unlabelled_spelt_as_the_readme_spells_it(monkeypatch):
    """`rolelens train --unlabelled X` self-trains on X as `--unlabeled X` does."""
    import training.train

    seen = []
    monkeypatch.setattr(training.train, "train", lambda data, models, **kw: seen.append(kw["unlabeled"]))
    assert training.train.main(["--unlabelled", "a.csv"]) == 0
    assert training.train.main(["--unlabeled", "b.csv"]) == 0
    assert seen == ["a.csv", "b.csv"]


def test_a_bad_blocksize_names_the_option_and_the_form_it_takes(capsys):
    """`--blocksize abc` and a negative size stop with status 2 and an example of a size, not a function name."""
    for bad in ("abc", "-1MB"):
        with pytest.raises(SystemExit) as stopped:
            main(["label", "in.csv", "-o", "out.csv", "--text-column", "text", f"--blocksize={bad}"])
        err = capsys.readouterr().err
        assert stopped.value.code == 2 and "--blocksize" in err and "such as 64MB" in err and "_size" not in err
    assert build_parser().parse_args(["label", "i", "-o", "o", "--blocksize", "1.5kB"]).blocksize == 1536


def test_train_passes_the_evaluation_columns_on(monkeypatch):
    """`rolelens train --eval X --eval-text-column body --eval-label-column role` scores X by those columns."""
    import training.train

    seen = []
    monkeypatch.setattr(training.train, "train", lambda data, models, **kw: seen.append(kw["eval_columns"]))
    assert training.train.main(["--eval", "x.csv", "--eval-text-column", "body", "--eval-label-column", "role"]) == 0
    assert training.train.main(["--eval", "x.csv"]) == 0
    assert seen == [("body", "role"), ("text", "label")]


def test_the_dask_engine_without_dask_says_how_to_install_it(tmp_path, jobs_csv, models_dir, capsys, monkeypatch):
    """`--engine dask` without Dask (a `make serve` install) is an error with the fix, not a traceback."""
    monkeypatch.setitem(sys.modules, "dask", None)  # import dask now raises ModuleNotFoundError
    out = tmp_path / "out.parquet"
    args = ["label", str(jobs_csv), "-o", str(out), "--text-column", "text", "--model-dir", str(models_dir)]
    assert main([*args, "--engine", "dask"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the Dask engine needs dask") and "pip install -e '.[dask]'" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "said"),
    [("foo", "write PARAM=VALUE"), ("C=(", "not a Python literal"), ("Cee=2", "not a parameter of RoleClassifier")],
)
def test_train_refuses_a_bad_set_option_before_training(monkeypatch, capsys, option, said):
    """`rolelens train --set` without =, with a value that is no literal, or an unknown name: error: and 2, no work."""
    import training.train

    monkeypatch.setattr(training.train, "train", lambda *a, **kw: pytest.fail("trained with a bad --set"))
    assert training.train.main(["--set", option]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set") and said in err and "Traceback" not in err


def test_every_older_model_spelling_works_wherever_a_model_is_named(monkeypatch):
    """The README's promise: --model and --models (earlier spellings) both work for train and eval."""
    import training.train
    from training.evaluate import build_parser as eval_parser

    seen = []
    monkeypatch.setattr(training.train, "train", lambda data, models, **kw: seen.append(models))
    assert training.train.main(["--model", "a"]) == 0
    assert seen == ["a"]
    for old in ("--model", "--models"):
        assert eval_parser().parse_args(["dev.csv", old, "m"]).model_dir == "m"
