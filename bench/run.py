"""``python -m bench``: one run of every measurement, a table on the terminal and a JSON file.

Sections run one after the other (never two at once: they share two cores), each after a
warm-up, each repeated and summarised by its median. A section that cannot run records why
("not measured: ...") and the run goes on; the exit status is 1 when a section failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SCHEMA = "rolelens-bench/1"


@dataclass(frozen=True)
class Plan:
    """How much of everything a mode measures."""

    name: str
    budget_s: float  # the whole run should stay under this
    throughput_docs: int  # 4 KB texts for predict against transform
    repeats: int
    latency_texts: int
    explain_docs: int
    reference_docs: int  # in-process reference taken around each HTTP and CLI measurement
    growth_rows: tuple[int, ...]
    growth_rows_kb: float
    growth_row_repeats: tuple[int, ...]
    growth_kb: tuple[float, ...]
    growth_kb_total_mb: float
    growth_kb_repeats: int
    train_runs: int  # 0 leaves training out (one `make train` alone takes a third of QUICK's minute)
    train_n_per_role: int | None  # None: the real `make train`
    startup_runs: int
    http_requests: int
    http_seconds: float
    http_rounds: int
    batch_size: int  # texts per /classify/batch request
    cli_ref_rows: int  # 4 KB rows, 1 worker, against the bare vectorizer
    cli_explain: bool  # the same file again with --explain
    cli_rows: int  # rows/s with 1 and 2 workers, peak RSS (0 leaves them out)
    cli_kb: float
    cli_adapt_rows: int = 0  # 4 KB rows labelled with and without --adapt on every core (0 leaves it out)


PLANS = {
    "full": Plan(
        "full",
        600,
        throughput_docs=1000,
        repeats=5,
        latency_texts=300,
        explain_docs=100,
        reference_docs=300,
        growth_rows=(1_000, 10_000, 100_000),
        growth_rows_kb=1,
        growth_row_repeats=(3, 1, 1),
        growth_kb=(0.5, 4, 32),
        growth_kb_total_mb=4.0,
        growth_kb_repeats=3,
        train_runs=3,
        train_n_per_role=None,
        startup_runs=3,
        http_requests=4000,
        http_seconds=5.0,
        http_rounds=3,
        batch_size=32,
        cli_ref_rows=10_000,
        cli_explain=True,
        cli_rows=200_000,
        cli_kb=1,
        cli_adapt_rows=100_000,
    ),
    "quick": Plan(
        "quick",
        60,
        throughput_docs=300,
        repeats=3,
        latency_texts=100,
        explain_docs=40,
        reference_docs=100,
        growth_rows=(300, 3_000),
        growth_rows_kb=1,
        growth_row_repeats=(2, 1),
        growth_kb=(4, 32),
        growth_kb_total_mb=0.5,
        growth_kb_repeats=2,
        train_runs=0,
        train_n_per_role=None,
        startup_runs=1,
        http_requests=300,
        http_seconds=1.0,
        http_rounds=2,
        batch_size=16,
        cli_ref_rows=3_000,
        cli_explain=False,
        cli_rows=0,
        cli_kb=1,
    ),
    # For the bench's own test: every code path, tiny sizes, a small training run.
    "tiny": Plan(
        "tiny",
        120,
        throughput_docs=40,
        repeats=2,
        latency_texts=20,
        explain_docs=10,
        reference_docs=16,
        growth_rows=(20, 40),
        growth_rows_kb=1,
        growth_row_repeats=(1, 1),
        growth_kb=(4, 32),
        growth_kb_total_mb=0.1,
        growth_kb_repeats=1,
        train_runs=1,
        train_n_per_role=60,
        startup_runs=1,
        http_requests=20,
        http_seconds=1.0,
        http_rounds=1,
        batch_size=4,
        cli_ref_rows=50,
        cli_explain=False,
        cli_rows=0,
        cli_kb=1,
    ),
}


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Runner:
    """Runs the sections of one plan and collects their results."""

    def __init__(self, plan: Plan, models: str, dev: bool, workdir: Path):
        self.plan, self.models, self.dev, self.workdir = plan, models, dev, workdir
        self.results: dict = {}
        self.failed: list[str] = []
        self._model = None
        self._ref_texts: list[str] | None = None

    def section(self, key: str, fn, *args) -> None:
        """Run one section; a failure is recorded as "not measured" with its cause."""
        _log(f"{key} ...")
        started = time.perf_counter()
        try:
            self.results[key] = fn(*args)
        except Exception as err:  # noqa: BLE001 - one broken section must not hide the others
            traceback.print_exc()
            self.failed.append(key)
            self.results[key] = {"not_measured": f"failed: {type(err).__name__}: {str(err)[:300]}"}
        _log(f"{key} done in {time.perf_counter() - started:.1f}s")

    def texts(self, n: int, kb: float) -> list[str]:
        from bench.texts import texts

        return list(texts(self.pieces, n, kb))

    def prepare(self) -> None:
        from bench.texts import dev_pieces, generated_pieces

        self.pieces = dev_pieces() if self.dev else generated_pieces()
        self.pieces_file = self.workdir / "pieces.json"
        self.pieces_file.write_text(json.dumps(self.pieces))

    @property
    def model(self):
        if self._model is None:
            from classifier.persist import load_model

            self._model = load_model(self.models)[0]
        return self._model

    def reference(self) -> dict:
        """In-process throughputs now, to set beside an out-of-process measurement."""
        from bench import inprocess

        p = self.plan
        if self._ref_texts is None:
            self._ref_texts = self.texts(p.reference_docs, 4)
        return inprocess.reference(self.model, self._ref_texts, max(4, p.reference_docs // 8), p.batch_size)

    def inprocess(self) -> dict:
        from bench import inprocess

        p = self.plan
        return {
            "throughput": inprocess.throughput(self.model, self.texts(p.throughput_docs, 4), p.repeats),
            "latency": inprocess.latency(self.model, self.texts(p.latency_texts, 4)),
            "explain": inprocess.explain_cost(self.model, self.texts(p.explain_docs, 4), p.repeats),
            "scope": inprocess.scope_cost(self.model, self.texts(p.throughput_docs, 4), p.repeats),
        }

    def growth(self) -> dict:
        from bench.growth import run_child, summarise

        p = self.plan
        by_kb = [
            (max(2, round(p.growth_kb_total_mb * 1e6 / (kb * 1024))), kb, p.growth_kb_repeats) for kb in p.growth_kb
        ]
        by_rows = [(n, p.growth_rows_kb, r) for n, r in zip(p.growth_rows, p.growth_row_repeats)]
        runs = run_child(self.models, str(self.pieces_file), by_kb + by_rows)
        return {"kb": summarise(runs[: len(by_kb)], "kb"), "rows": summarise(runs[len(by_kb) :], "rows")}

    def train(self) -> dict:
        from bench import train_cost

        if not self.plan.train_runs:
            return {
                "not_measured": f"left out in {self.plan.name} mode (one make train alone takes a third "
                "of its minute); make bench times it"
            }
        return train_cost.measure(self.plan.train_runs, self.plan.train_n_per_role)

    def serving(self) -> None:
        """Start-up time, then load on /classify (and /classify/batch where it exists).

        An in-process reference is taken before the first load and after each one, so each
        HTTP figure is set against the model's own speed of that minute.
        """
        from bench import serving

        p = self.plan
        _log("service start-up ...")
        startup, server = serving.startup(self.models, p.startup_runs, self.workdir / "service.log")
        if startup["endpoint"] != serving.READY:
            startup["ready_note"] = f"feature not on main yet ({serving.READY}, issue 4); timed until /health answered"
        self.results["startup"] = startup
        http: dict = {}
        self.results["http"] = http
        try:
            # Each route at 1 and 4 clients as the web page calls it (with evidence), then at 4
            # clients with "explain": false, the same work as in-process predict.
            texts = self.texts(200, 4)
            loads = []
            for explain, key, clients in ((True, "c{}", (1, 4)), (False, "c{}_label_only", (4,))):
                one = self.workdir / f"classify-{explain}.jsonl"
                one.write_text(
                    "".join(json.dumps({"text": t, "kind": "posting", "explain": explain}) + "\n" for t in texts)
                )
                loads += [
                    (
                        "classify",
                        key.format(c),
                        lambda c=c, one=one: serving.load(
                            server, "/classify", one, c, p.http_requests, p.http_seconds, p.http_rounds
                        ),
                    )
                    for c in clients
                ]
                if server.has_route("post", "/classify/batch"):
                    loads += [
                        ("classify_batch", key.format(c), lambda c=c, e=explain: self._batch_load(server, c, e))
                        for c in clients
                    ]
            if not server.has_route("post", "/classify/batch"):
                http["classify_batch"] = {"not_measured": "feature not on main yet (/classify/batch, issue 4)"}
            # The floor: the same one-text call behind a bare ASGI app (no framework, middleware,
            # metrics or logs), which the /classify throughput can be read against.
            label_only = self.workdir / "classify-False.jsonl"
            loads.append(("bare_asgi", "c4_label_only", lambda: self._bare_load(label_only)))
            before = self.reference()
            for route, key, run in loads:
                _log(f"HTTP {route}, {key} ...")
                m = run()
                after = self.reference()
                self._against(m, before, after, batched=route == "classify_batch")
                http.setdefault(route, {})[key] = m
                before = after
            _log("HTTP /classify, 1 worker against 2 workers ...")
            http["workers"] = self._workers_load(server, self.workdir / "classify-True.jsonl")
        finally:
            server.stop()

    def _workers_load(self, one_worker, bodies: Path) -> dict:
        """/classify req/s on one server process and on ROLELENS_WORKERS=2, taken back to back.

        8 clients, so that the kernel's share of connections between two processes is even enough.
        """
        from bench import serving

        p = self.plan
        one = serving.load(one_worker, "/classify", bodies, 8, p.http_requests, p.http_seconds, p.http_rounds)
        with serving.Server(self.models, self.workdir / "workers.log", workers=2) as two_workers:
            two_workers.start()
            two = serving.load(two_workers, "/classify", bodies, 8, p.http_requests, p.http_seconds, p.http_rounds)
        return {"one": one, "two": two, "two_vs_one": two["per_s"] / one["per_s"] if one["per_s"] else None}

    def _bare_load(self, bodies: Path) -> dict:
        from bench import serving

        p = self.plan
        with serving.Server(self.models, self.workdir / "bare.log", argv=serving.BARE_APP) as bare:
            bare.start()
            return serving.load(bare, "/classify", bodies, 4, p.http_requests, p.http_seconds, p.http_rounds)

    def _batch_load(self, server, clients: int, explain: bool) -> dict:
        from bench import serving

        p = self.plan
        bodies = self.workdir / f"batch-{explain}.jsonl"
        if not bodies.exists():
            texts = self.texts(p.batch_size * 20, 4)
            with open(bodies, "w") as f:
                for i in range(0, len(texts), p.batch_size):
                    items = [
                        {"id": i + j, "text": t, "kind": "posting"} for j, t in enumerate(texts[i : i + p.batch_size])
                    ]
                    f.write(json.dumps({"items": items, "explain": explain}) + "\n")
        requests = max(2, p.http_requests // p.batch_size)
        m = serving.load(
            server, "/classify/batch", bodies, clients, requests, p.http_seconds, p.http_rounds, expect='"results"'
        )
        m.update(docs_per_s=m["per_s"] * p.batch_size, batch_size=p.batch_size)
        return m

    @staticmethod
    def _against(m: dict, before: dict, after: dict, batched: bool) -> None:
        """Add to an HTTP figure the in-process speeds around it and the ratios to them."""
        from bench.inprocess import between

        ref = between(before, after)
        docs = m.get("docs_per_s", m["per_s"])
        m["reference"] = ref
        m["vs_predict"] = docs / ref["predict_docs_per_s"]
        # The same work in-process: /classify explains one text a call, /classify/batch a batch.
        m["vs_explain"] = docs / ref["explain_batched_docs_per_s" if batched else "explain_one_by_one_per_s"]

    def batch_cli(self) -> dict:
        from bench import batch_cli

        return batch_cli.measure(self.workdir, self.pieces, self.plan, self.models, self.reference)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode",
        choices=sorted(PLANS),
        default="full",
        help="full (under 10 min), quick (under 1 min) or tiny (the bench's own test)",
    )
    parser.add_argument("--models", default="models", help="models folder whose current model is measured")
    parser.add_argument("--dev", action="store_true", help="build texts from ../shared/eval/dev.csv postings")
    parser.add_argument("--out", type=Path, help="JSON file to write (default bench/results/<date>-<commit>.json)")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="SECTION",
        choices=["inprocess", "growth", "train", "serving", "batch_cli"],
        help="leave a section out (repeatable)",
    )
    args = parser.parse_args(argv)

    from bench.report import format_table, write_json
    from bench.targets import TARGETS, Target, evaluate
    from classifier.persist import ModelLoadError, read_metadata

    plan = PLANS[args.mode]
    try:
        meta_model = read_metadata(args.models)
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    commit = _git("rev-parse", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    now = datetime.now(UTC)
    meta = {
        "date": now.isoformat(timespec="seconds"),
        "commit": commit,
        "dirty": dirty,
        "mode": plan.name,
        "plan": asdict(plan),
        "model_version": meta_model.get("model_version", "unknown"),
        "models": str(args.models),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg_start": _loadavg(),
        "texts": (
            "postings from ../shared/eval/dev.csv, joined and cut to size"
            if args.dev
            else "generated postings (training.examples, seed 6006), joined and cut to size"
        ),
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rolelens-bench-") as tmp:
        runner = Runner(plan, args.models, args.dev, Path(tmp))
        try:
            runner.prepare()
        except (OSError, ValueError) as err:
            print(f"error: cannot build the bench texts: {err}", file=sys.stderr)
            return 2
        steps = [
            ("inprocess", runner.inprocess),
            ("growth", runner.growth),
            ("train", runner.train),
            ("serving", runner.serving),
            ("batch_cli", runner.batch_cli),
        ]
        for key, fn in steps:
            if key in args.skip:
                for part in ("startup", "http") if key == "serving" else (key,):
                    runner.results[part] = {"not_measured": "left out with --skip"}
            elif key == "serving":
                runner.section("serving", fn)
                # serving() files its results under "startup" and "http"; a failure, under its own name.
                failure = runner.results.pop("serving", None)
                for part in ("startup", "http"):
                    runner.results.setdefault(part, failure or {"not_measured": "no result"})
            else:
                runner.section(key, fn)
    elapsed = time.perf_counter() - started
    meta.update(loadavg_end=_loadavg(), seconds=elapsed)
    results = runner.results
    results["run"] = {"seconds": elapsed}
    targets = (
        *TARGETS,
        Target(6, f"whole bench run ({plan.name})", "<", plan.budget_s, "s", lambda r: r["run"]["seconds"], "run"),
    )
    result = {"schema": SCHEMA, "meta": meta, "results": results, "targets": evaluate(results, targets)}
    out = args.out or RESULTS / f"{now:%Y%m%d-%H%M%S}-{commit[:10]}{'-dirty' if dirty else ''}.json"
    write_json(result, out)
    print(format_table(result))
    print(f"results written to {out}")
    if runner.failed:
        print(f"error: sections failed: {', '.join(runner.failed)} (see the messages above)", file=sys.stderr)
        return 1
    return 0
