"""Shared fixtures: one small model trained once for the whole session."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """A models folder holding one small model trained from data/."""
    from training.train import train

    folder = tmp_path_factory.mktemp("models")
    train(DATA, folder, n_per_role=400, seed=0, log=lambda _msg: None)
    return folder


@pytest.fixture(scope="session")
def model(models_dir):
    """The session model, loaded and checked the way the service loads it."""
    from classifier.persist import load_model

    return load_model(models_dir)[0]


@pytest.fixture(scope="session")
def samples() -> list[dict]:
    """Hand-written postings and resumes with the role they were written for."""
    lines = (DATA / "samples" / "texts.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _pdf(page_streams: list[str]) -> bytes:
    """A minimal PDF whose pages draw the given content streams in Helvetica."""
    n = len(page_streams)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(page_streams):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.fixture(scope="session")
def make_pdf():
    """Build a PDF of ``pages`` pages, each with a text layer holding ``text``, or none (a scan)."""
    import textwrap

    def build(text: str | None = None, pages: int = 1) -> bytes:
        if text is None:
            return _pdf(["" for _ in range(pages)])
        lines = textwrap.wrap(text, 90)
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        stream = "BT /F1 10 Tf 14 TL 40 760 Td " + " ".join(f"({line}) '" for line in escaped) + " ET"
        return _pdf([stream] * pages)

    return build


@pytest.fixture(scope="session")
def make_docx():
    """Build a DOCX with a heading, the text's sentences as paragraphs, and a small table."""
    import io

    import docx

    def build(text: str, title: str = "Job posting", table: list[list[str]] | None = None) -> bytes:
        document = docx.Document()
        document.add_heading(title, level=1)
        for sentence in text.split(". "):
            document.add_paragraph(sentence)
        if table:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    return build


@pytest.fixture(scope="session")
def other_model(tmp_path_factory) -> Path:
    """The folder of a second small model, trained with another seed (a 'newer' model to reload)."""
    from training.train import train

    return train(DATA, tmp_path_factory.mktemp("other-models"), n_per_role=200, seed=1, log=lambda _msg: None)


@pytest.fixture
def fresh_models(models_dir, tmp_path) -> Path:
    """A models folder of this test's own, serving a copy of the session model."""
    import shutil

    folder = tmp_path / "models"
    shutil.copytree(models_dir, folder, symlinks=True)
    return folder


class RunsCode:
    """A crafted pickle payload: unpickling it runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        import os
        import shlex

        return (os.system, (f"touch {shlex.quote(self.marker)}",))


def pickle_payload(marker: Path) -> bytes:
    """The bytes of a pickle that creates ``marker`` when loaded (what issue 14's attacker wrote)."""
    import pickle

    return pickle.dumps(RunsCode(marker))


def npy_payload(marker: Path) -> bytes:
    """An .npy file of one object whose unpickling creates ``marker`` (np.load with allow_pickle=True runs it)."""
    import io

    import numpy as np

    out, array = io.BytesIO(), np.empty(1, dtype=object)
    array[0] = RunsCode(marker)
    np.save(out, array, allow_pickle=True)
    return out.getvalue()


def rehash(folder: Path, listed: list[str] | None = None) -> None:
    """Record in ``folder``'s metadata.json the sha256 of ``listed`` files (default: all but the metadata),
    and the model's sha256 over them, as an attacker who can write the folder would."""
    import hashlib

    from classifier.persist import METADATA_FILE, _identity

    names = listed or sorted(p.name for p in folder.iterdir() if p.name != METADATA_FILE and p.is_file())
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["files"] = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}
    meta["model_sha256"] = _identity(meta["files"])
    (folder / METADATA_FILE).write_text(json.dumps(meta))


@pytest.fixture(scope="session")
def drop_model():
    """Copy a model folder into a models folder under ``name``, optionally damaged, and make it current.

    ``damage`` is "bytes" (a flipped byte), "versions" (other lemma tables) or a path: a marker that a
    pickle payload, put in place of the coefficients with every hash recomputed, would create.
    """
    import shutil

    from classifier.persist import set_current

    def drop(models: Path, source: Path, name: str, damage: str | Path | None = None) -> Path:
        target = models / name
        shutil.copytree(source, target)
        if damage == "bytes":  # a flipped byte: the sha256 no longer matches
            data = bytearray((target / "seeded.coef.npy").read_bytes())
            data[len(data) // 2] ^= 0xFF
            (target / "seeded.coef.npy").write_bytes(bytes(data))
        elif damage == "versions":  # trained with other lemma tables
            meta = json.loads((target / "metadata.json").read_text())
            meta["versions"]["spacy_lookups_data"] = "0.0.1"
            (target / "metadata.json").write_text(json.dumps(meta))
        elif damage is not None:
            (target / "seeded.coef.npy").write_bytes(pickle_payload(Path(damage)))
            rehash(target)
        set_current(models, name)
        return target

    return drop


@pytest.fixture(scope="session")
def tamper():
    """What an attacker who can write a model folder does: ``payload(marker)`` (a pickle),
    ``npy_payload(marker)`` (a pickle inside an .npy) and ``rehash(folder)``."""
    from types import SimpleNamespace

    return SimpleNamespace(payload=pickle_payload, npy_payload=npy_payload, rehash=rehash)


# Sentences of postings we wrote; each role's texts also name a tool no lexicon knows,
# so that only learning from the batch can tie the tool to the role.
SENTENCES = {
    "ml_engineer": [
        "You will deploy models to production and keep them running.",
        "Build inference services on Kubernetes with low latency.",
        "Automate training and release pipelines with CI/CD.",
        "Monitor model drift and retrain when the data changes.",
        "Package models as APIs and scale them on AWS.",
        "Write well-tested Python and optimise GPU serving.",
    ],
    "data_scientist": [
        "You will analyse customer data and find trends.",
        "Design and run A/B tests and read their results.",
        "Build statistical models and forecasts for the business.",
        "Present insights to stakeholders with Tableau dashboards.",
        "Write SQL to pull data and explore it in notebooks.",
        "Advise leaders on pricing with careful analysis.",
    ],
}
TOOL = {"ml_engineer": "Our stack runs on Zorbflux and Quenchly.", "data_scientist": "Reports go out through Plimsoll."}
FILLER = (
    "We offer a friendly team, a learning budget and flexible hours in a growing company with offices in two cities."
)


def _batch(n_ml: int, n_ds: int, seed: int = 0) -> list[str]:
    """Postings of each role, four of its sentences in a random order, its tool and some boilerplate."""
    rng = random.Random(seed)
    out = []
    for label, n in (("ml_engineer", n_ml), ("data_scientist", n_ds)):
        out += [" ".join([*rng.sample(SENTENCES[label], 4), TOOL[label], FILLER]) for _ in range(n)]
    rng.shuffle(out)
    return out


@pytest.fixture(scope="session")
def make_batch():
    """Build a batch of postings of each role, written by us: ``make_batch(n_ml, n_ds, seed=0)``."""
    return _batch
