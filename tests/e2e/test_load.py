"""A bounded load test against uvicorn, with a model reload and a corrupt model dropped in mid-load."""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from classifier.persist import load_model

pytestmark = pytest.mark.e2e

TOKEN = "load-test-token"
CLIENTS = 8
PER_CLIENT = 300  # 2,400 requests in all: a few seconds of work on two cores


def expected_answers(folder, samples) -> dict:
    """What the model in ``folder`` says about each sample, computed in this process."""
    model, meta = load_model(folder)
    preds = model.explain([s["text"] for s in samples], kinds=[s["kind"] for s in samples])
    return {meta["model_version"]: [(p.label, p.probabilities) for p in preds]}


def test_load_with_reload_and_corrupt_model(
    start_server, fresh_models, other_model, drop_model, samples, make_docx, tmp_path, capsys
):
    """8 clients send 2,400 mixed requests; a reload and a refused corrupt model in the middle fail none.

    Every answer is checked against the model version it reports, so a request that
    mixed two models, or was served by an unknown one, would fail.
    """
    base = start_server(fresh_models, admin_token=TOKEN)
    truth = {**expected_answers(fresh_models / "current", samples), **expected_answers(other_model, samples)}
    old_version, new_version = list(truth)
    docx_of = {i: make_docx(s["text"]) for i, s in enumerate(samples)}
    done = [0]
    failures: list[str] = []
    latencies: dict[str, list[float]] = {}
    lock = threading.Lock()

    def same(result: dict, version_answers: list, i: int) -> bool:
        label, proba = version_answers[i]
        return result["label"] == label and all(abs(result["probabilities"][k] - v) < 1e-6 for k, v in proba.items())

    def one(client: httpx.Client, rng: random.Random) -> None:
        roll = rng.random()
        i = rng.randrange(len(samples))
        started = time.perf_counter()
        if roll < 0.6:
            route = "/classify"
            r = client.post(route, json={"text": samples[i]["text"], "kind": samples[i]["kind"]})
            ok = r.status_code == 200 and same(r.json(), truth[r.json()["model_version"]], i)
        elif roll < 0.75:
            route = "/classify/batch"
            picks = [rng.randrange(len(samples)) for _ in range(rng.randint(2, 8))]
            r = client.post(route, json={"items": [{"id": n, "text": samples[p]["text"]} for n, p in enumerate(picks)]})
            body = r.json()
            ok = (
                r.status_code == 200
                and [x["id"] for x in body["results"]] == list(range(len(picks)))
                and all(same(x, truth[body["model_version"]], p) for x, p in zip(body["results"], picks))
            )
        elif roll < 0.85:
            route = "/classify/file"
            r = client.post(route, files={"file": ("cv.docx", docx_of[i], "application/octet-stream")})
            ok = r.status_code == 200 and r.json()["label"] == truth[r.json()["model_version"]][i][0]
        elif roll < 0.95:
            route = rng.choice(["/health/live", "/health/ready", "/metrics", "/model"])
            r = client.get(route)
            ok = r.status_code == 200
        else:
            route = "/classify (empty)"
            r = client.post("/classify", json={"text": " "})
            ok = r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
        with lock:
            latencies.setdefault(route, []).append(time.perf_counter() - started)
            done[0] += 1
            if not ok:
                failures.append(f"{route} -> {r.status_code} {r.text[:200]}")

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(PER_CLIENT):
                try:
                    one(client, rng)
                except Exception as err:  # noqa: BLE001 - a transport error is a failed request too
                    with lock:
                        failures.append(f"{type(err).__name__}: {err}")

    def wait_until(fraction: float) -> None:
        while done[0] < fraction * CLIENTS * PER_CLIENT and not all(f.done() for f in futures):
            time.sleep(0.01)

    admin = httpx.Client(base_url=base, timeout=60, headers={"authorization": f"Bearer {TOKEN}"})
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client_loop, seed) for seed in range(CLIENTS)]
        wait_until(0.3)
        drop_model(fresh_models, other_model, "newer")
        reload = admin.post("/admin/reload")
        wait_until(0.6)
        drop_model(fresh_models, fresh_models / old_version, "corrupt", damage="bytes")
        refused = admin.post("/admin/reload")
        still = httpx.post(f"{base}/classify", json={"text": samples[0]["text"]}, timeout=30)
        for f in futures:
            f.result()
    elapsed = time.perf_counter() - started

    assert reload.status_code == 200 and reload.json() == {
        "swapped": True,
        "previous_version": old_version,
        "model_version": new_version,
    }
    assert refused.status_code == 409 and "does not match the sha256" in refused.json()["error"]["message"]
    assert still.status_code == 200 and still.json()["model_version"] == new_version
    assert failures == [], failures[:5]
    assert done[0] == CLIENTS * PER_CLIENT
    assert httpx.get(f"{base}/health/ready").json()["model_version"] == new_version

    summary = {
        "requests": done[0],
        "errors": len(failures),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(done[0] / elapsed),
    }
    for route, values in sorted(latencies.items()):
        values.sort()
        summary[route] = {
            "n": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p99_ms": round(values[int(0.99 * (len(values) - 1))] * 1000, 1),
        }
    (tmp_path / "load.json").write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print(f"\nload test: {json.dumps(summary)}")
