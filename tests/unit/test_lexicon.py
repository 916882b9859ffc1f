import json

import pytest

from classifier.lexicon import Lexicon, LexiconError


def write(folder, name, rows):
    (folder / name).write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def test_reads_entries_and_roles(tmp_path):
    """Entries of every file are read and roles listed without the shared vocabulary."""
    write(tmp_path, "a.jsonl", [{"label": "ml_engineer", "pattern": "model serving", "weight": 2, "kind": "duty"}])
    write(tmp_path, "b.jsonl", [{"label": "shared", "pattern": "python", "weight": 0, "kind": "shared"}])
    lex = Lexicon.from_dir(tmp_path)
    assert lex.roles == ("ml_engineer",)
    assert [e.pattern for e in lex.entries] == ["model serving", "python"]


@pytest.mark.parametrize(
    "line, words",
    [
        ("{not json", "not valid JSON"),
        ('{"label": "ml_engineer", "pattern": "  "}', "'pattern'"),
        ('{"label": "ml_engineer", "pattern": "x", "weight": -1}', "'weight'"),
        ('{"label": "ml_engineer", "pattern": "x", "kind": "vibe"}', "'kind'"),
        ('{"label": "shared", "pattern": "python", "weight": 1}', "weight must be 0"),
        ('{"label": "ml_engineer", "pattern": "x", "wieght": 3}', "unknown key(s) ['wieght']"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path, line, words):
    """A bad lexicon line is refused with its file, line number and what is wrong."""
    write(tmp_path, "roles.jsonl", [{"label": "ml_engineer", "pattern": "ok"}, line])
    with pytest.raises(LexiconError) as err:
        Lexicon.from_dir(tmp_path)
    assert "roles.jsonl:2" in str(err.value) and words in str(err.value)


def test_empty_folder_says_what_to_point_at(tmp_path):
    """A folder without lexicon files is refused with the files it should hold."""
    with pytest.raises(LexiconError, match="ml_engineer.jsonl"):
        Lexicon.from_dir(tmp_path)


def test_hash_ignores_order_but_not_content(tmp_path):
    """The lexicon hash changes with content, not with line order."""
    a = {"label": "ml_engineer", "pattern": "docker", "weight": 1.5, "kind": "skill"}
    b = {"label": "data_scientist", "pattern": "tableau", "weight": 1.5, "kind": "skill"}
    write(tmp_path, "x.jsonl", [a, b])
    first = Lexicon.from_dir(tmp_path).sha256()
    write(tmp_path, "x.jsonl", [b, a])
    assert Lexicon.from_dir(tmp_path).sha256() == first
    write(tmp_path, "x.jsonl", [b, {**a, "weight": 2.0}])
    assert Lexicon.from_dir(tmp_path).sha256() != first


def test_a_phrase_twice_for_one_role_is_refused_naming_both_lines(tmp_path):
    """The same phrase twice for one role (whatever its case) stops loading at the second line;
    the same phrase for two roles is allowed."""
    write(tmp_path, "a.jsonl", [{"label": "ml_engineer", "pattern": "model serving", "weight": 2}])
    write(tmp_path, "b.jsonl", [{"label": "data_scientist", "pattern": "model serving", "weight": 1}])
    assert len(Lexicon.from_dir(tmp_path).entries) == 2
    write(tmp_path, "c.jsonl", ["", {"label": "ml_engineer", "pattern": "Model  Serving", "weight": 1}])
    with pytest.raises(LexiconError) as err:
        Lexicon.from_dir(tmp_path)
    assert "c.jsonl:2" in str(err.value) and "a.jsonl:1" in str(err.value)


def test_a_pasted_candidate_line_loads_with_its_notes(tmp_path):
    """A line copied from lexicon_candidates.jsonl, score and texts included, is a valid lexicon line."""
    line = {"label": "ml_engineer", "pattern": "tensorflow and keras", "weight": 1.0, "kind": "skill", "score": 2.1}
    write(tmp_path, "ml.jsonl", [{**line, "texts": 36}])
    assert [e.pattern for e in Lexicon.from_dir(tmp_path).entries] == ["tensorflow and keras"]
