"""The terminal table and the JSON file of a bench run."""

from __future__ import annotations

import json
from pathlib import Path

WIDTH = 108


def _num(value: float | None, unit: str = "", digits: int | None = None) -> str:
    if value is None:
        return "-"
    if digits is None:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    sep = "" if unit in ("x", "", "%") else " "
    return f"{value:,.{digits}f}{sep}{unit}"


def _spread(node: dict, key: str) -> str:
    low, high = node.get(f"{key}_range", (None, None))
    return f"(rounds {low:.2f}-{high:.2f}, {node['repeats']} of them)" if low is not None else ""


def _skipped(node: dict | None) -> str | None:
    if not isinstance(node, dict):
        return "not measured: no result"
    note = node.get("not_measured")
    return f"not measured: {note}" if note else None


def measurement_lines(r: dict) -> list[tuple[str, str, str]]:
    """(section, measure, value) rows for everything a run measured, in reading order."""
    rows: list[tuple[str, str, str]] = []
    add = lambda section, what, value: rows.append((section, what, value))  # noqa: E731

    ip = r.get("inprocess", {})
    tp = ip.get("throughput")
    if tp:
        sec = f"in-process, {tp['docs']} texts of 4 KB"
        add(
            sec,
            "bare vectorizer_.transform",
            f"{_num(tp['vectorizer_docs_per_s'], 'docs/s')}  {_num(tp['vectorizer_mb_per_s'], 'MB/s')}",
        )
        add(sec, "predict", f"{_num(tp['predict_docs_per_s'], 'docs/s')}  {_num(tp['predict_mb_per_s'], 'MB/s')}")
        add(
            sec,
            "predict / transform throughput",
            f"{_num(tp['predict_vs_vectorizer'], 'x')}  {_spread(tp, 'predict_vs_vectorizer')}",
        )
    lat = ip.get("latency")
    if lat:
        for name in ("predict", "explain"):
            add(
                "in-process, one text a call",
                f"{name} latency p50 / p99",
                f"{_num(lat[name]['p50_ms'], 'ms')} / {_num(lat[name]['p99_ms'], 'ms')}  "
                f"({_num(lat[name]['per_s'], 'calls/s')})",
            )
    ex = ip.get("explain")
    if ex:
        sec = f"in-process, {ex['docs']} texts of 4 KB"
        add(
            sec, "explain / predict time", f"{_num(ex['explain_vs_predict'], 'x')}  {_spread(ex, 'explain_vs_predict')}"
        )
        add(sec, "evidence share of explain time", _num(100 * ex["evidence_share"], "%", 0))
    sc = ip.get("scope")
    if sc and not sc.get("not_measured"):
        add(
            f"in-process, {sc['docs']} texts of 4 KB",
            "predict with scope / predict docs/s",
            f"{_num(sc['vs_predict'], 'x')}  {_spread(sc, 'vs_predict')}",
        )

    growth = r.get("growth")
    if growth and _skipped(growth):
        add("cost growth", "-", _skipped(growth))
    for key in ("rows", "kb"):
        g = (growth or {}).get(key)
        if not g:
            continue
        sec = (
            f"cost growth: rows of {g['runs'][0]['kb']:g} KB"
            if key == "rows"
            else "cost growth: text length, same total MB"
        )
        for run in g["runs"]:
            size = f"{run['rows']:,} rows" if key == "rows" else f"{run['kb']:g} KB x {run['rows']:,}"
            add(
                sec,
                size,
                f"{_num(run['docs_per_s'], 'docs/s')}  {_num(run['mb_per_s'], 'MB/s')}  "
                f"peak RSS {_num(run['peak_rss_mb'], 'MB', 0)}, "
                f"{_num(run['predict_extra_mb'], 'MB', 0)} of it to predict",
            )
        per = "time" if key == "rows" else "time per text"
        memory = (
            f"memory ~ size^{g['memory_exponent']:.2f}: {g['memory_verdict']}"
            if g["memory_exponent"] is not None
            else f"memory {g['memory_verdict']}"
        )
        add(sec, "verdict", f"{per} ~ size^{g['time_exponent']:.2f}: {g['time_verdict']}; {memory}")

    tr = r.get("train")
    if tr:
        add(
            "training",
            "make train",
            _skipped(tr)
            or f"{_num(tr['seconds'], 's')} wall (median of {len(tr['runs'])}), "
            f"model {_num(tr['model_mb'], 'MB', 2)} on disk",
        )
    st = r.get("startup")
    if st:
        value = _skipped(st) or (
            f"{_num(st['seconds'], 's')} until {st['endpoint']} answered (median of "
            f"{len(st['runs'])}; log level: {st.get('log_level', '?')})"
        )
        add("service", "start-up", value)
        if st.get("ready_note"):
            add("service", "start-up until /health/ready", f"not measured: {st['ready_note']}")

    http = r.get("http", {})
    routes = (("classify", "/classify"), ("classify_batch", "/classify/batch"), ("bare_asgi", "bare ASGI app (floor)"))
    for route, path in routes:
        node = http.get(route)
        if node is None:
            continue
        if _skipped(node):
            add(f"HTTP {path}", "-", _skipped(node))
            continue
        for c in ("c1", "c4", "c4_label_only"):
            m = node.get(c)
            if not m:
                continue
            docs = f" = {_num(m['docs_per_s'], 'docs/s')}" if "docs_per_s" in m else ""
            errors = f", {m['errors']} errors" if m["errors"] else ""
            n = c[1:].split("_")[0]
            clients = f"{n} client{'s' if n != '1' else ''}" + (", explain=false" if "label_only" in c else "")
            size = f", {m['batch_size']} texts a request" if "batch_size" in m else ""
            add(
                f"HTTP {path}",
                f"{clients}{size}",
                f"p50 {_num(m['p50_ms'], 'ms')}  p99 {_num(m['p99_ms'], 'ms')}  {_num(m['per_s'], 'req/s')}{docs}"
                f"  ({m['requests']} requests{errors})",
            )
            if "vs_predict" in m:
                same = "batched" if "batch_size" in m else "one text a call"
                add(
                    f"HTTP {path}",
                    f"{clients}: docs/s / in-process",
                    f"{_num(m['vs_predict'], 'x')} of predict, {_num(m['vs_explain'], 'x')} of explain ({same}), "
                    f"measured around it",
                )

    workers = http.get("workers")
    if workers:
        for key, label in (("one", "1 worker"), ("two", "2 workers (ROLELENS_WORKERS=2)")):
            m = workers[key]
            add(
                "HTTP /classify, 8 clients",
                label,
                f"p50 {_num(m['p50_ms'], 'ms')}  p99 {_num(m['p99_ms'], 'ms')}  {_num(m['per_s'], 'req/s')}"
                f"  ({m['requests']} requests, {m['errors']} errors)",
            )
        add("HTTP /classify, 8 clients", "2 workers / 1 worker", _num(workers["two_vs_one"], "x"))

    cli = r.get("batch_cli")
    if cli:
        if _skipped(cli):
            add("batch CLI (rolelens label)", "-", _skipped(cli))
        else:
            for key in ("fixed_1", "fixed_2", "reference_1", "explain_1", "workers_1", "workers_2"):
                m = cli.get(key)
                if not m:
                    continue
                sec = f"batch CLI, {m['rows']:,} rows of {m['kb']:g} KB"
                if key.startswith("fixed"):
                    add(sec, m["label"], f"{_num(m['seconds'], 's')}  peak RSS {_num(m['peak_rss_mb'], 'MB', 0)}")
                    continue
                steady = m.get("steady_rows_per_s")
                add(
                    sec,
                    m["label"],
                    f"{_num(m['rows_per_s'], 'rows/s')} wall, {_num(steady, 'rows/s')} without fixed cost  "
                    f"peak RSS {_num(m['peak_rss_mb'], 'MB', 0)}  ({_num(m['seconds'], 's')})",
                )
                if "vs_vectorizer" in m:
                    add(
                        sec,
                        "/ in-process bare transform",
                        f"{_num(m['vs_vectorizer'], 'x')} (transform measured around it: "
                        f"{_num(m['reference']['vectorizer_docs_per_s'], 'docs/s')})",
                    )
            adapt = cli.get("adapt")
            if adapt:
                sec = f"batch CLI, {adapt['plain']['rows']:,} rows of 4 KB"
                for m in (adapt["plain"], adapt["adapted"]):
                    add(sec, m["label"], f"{_num(m['seconds'], 's')}  peak RSS {_num(m['peak_rss_mb'], 'MB', 0)}")
                add(sec, "--adapt / plain", _num(adapt["cost"], "x"))
    return rows


def format_table(result: dict) -> str:
    """The whole report: what was measured, then each target next to its measured value."""
    meta = result["meta"]
    lines = [
        "=" * WIDTH,
        f"RoleLens bench  {meta['mode']}  commit {meta['commit'][:10]}{' (dirty)' if meta['dirty'] else ''}  "
        f"{meta['date']}  model {meta['model_version']}",
        f"texts: {meta['texts']}  |  load average {meta['loadavg_start']} at start, "
        f"{meta['loadavg_end']} at end ({meta['cpus']} CPUs, shared: read ratios, not absolutes)",
        "=" * WIDTH,
    ]
    section = None
    for sec, what, value in measurement_lines(result["results"]):
        if sec != section:
            lines.append(f"{sec}")
            section = sec
        lines.append(f"  {what:<46} {value}")
    lines += ["-" * WIDTH, f"{'issue':<6}{'target':<55}{'goal':<10}{'measured':<13}status", "-" * WIDTH]
    for t in result["targets"]:
        lines.append(f"#{t['issue']:<5}{t['what']:<55}{t['goal']:<10}{_num(t['value'], t['unit']):<13}{t['status']}")
        if t.get("note"):
            lines.append(f"{'':6}  ({t['note']})")
    lines.append("=" * WIDTH)
    return "\n".join(lines)


def write_json(result: dict, path: Path) -> Path:
    """Write the run's JSON file (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    return path
