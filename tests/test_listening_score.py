"""Scoring listening-test answers: unblinding through a hand-written key and mean rank / MOS with Student-t CIs
checked against values computed by hand; malformed answer files are refused with the file named."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fakevideo.errors import InputError
from fakevideo.listening.score import markdown_table, score

T_975_3 = 3.182446305  # Student t, 97.5 % quantile, 3 degrees of freedom (4 ratings per system)
KEY = {"survey": "abc123", "seed": 0, "systems": ["S1", "S2", "S3"], "questions": [
    {"id": "q01", "clips": {"A": {"system": "S2"}, "B": {"system": "S3"}, "C": {"system": "S1"}}},
    {"id": "q02", "clips": {"A": {"system": "S1"}, "B": {"system": "S2"}, "C": {"system": "S3"}}},
]}
LISTENER_1 = {"survey": "abc123", "listener": "ann", "answers": [
    {"question": "q01", "ranks": {"A": 1, "B": 3, "C": 2}, "mos": {"A": 4, "B": 2, "C": 3}},
    {"question": "q02", "ranks": {"A": 2, "B": 1, "C": 3}, "mos": {"A": 3, "B": 5, "C": 1}},
]}
# listener 2 as the page's CSV export: q01 A1 B2 C3 / MOS 5 3 2; q02 A1 B2 C3 / MOS 4 4 2
LISTENER_2_CSV = """survey,listener,question,clip,rank,mos
abc123,"bob",q01,A,1,5
abc123,"bob",q01,B,2,3
abc123,"bob",q01,C,3,2
abc123,"bob",q02,A,1,4
abc123,"bob",q02,B,2,4
abc123,"bob",q02,C,3,2
"""


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path, Path]:
    key, one, two = tmp_path / "key.json", tmp_path / "ann.json", tmp_path / "bob.csv"
    key.write_text(json.dumps(KEY))
    one.write_text(json.dumps(LISTENER_1))
    two.write_text(LISTENER_2_CSV)
    return key, one, two


def test_unblinded_means_and_cis_match_hand_computation(files, tmp_path):
    key, one, two = files
    rows = score(key, [one, two], tmp_path / "out")
    # unblinded ranks: S1 [2,3,2,1], S2 [1,1,1,2], S3 [3,2,3,3]; MOS: S1 [3,2,3,4], S2 [4,5,5,4], S3 [2,3,1,2]
    assert [r["system"] for r in rows] == ["S2", "S1", "S3"]  # best (lowest) mean rank first
    by_system = {r["system"]: r for r in rows}
    assert [by_system[s]["mean_rank"] for s in ("S1", "S2", "S3")] == pytest.approx([2.0, 1.25, 2.75])
    assert [by_system[s]["mos"] for s in ("S1", "S2", "S3")] == pytest.approx([3.0, 4.5, 2.0])
    assert all(r["ratings"] == 4 for r in rows)
    assert by_system["S2"]["rank_ci95"] == pytest.approx(T_975_3 * 0.5 / 2)  # sd 0.5
    assert by_system["S1"]["rank_ci95"] == pytest.approx(T_975_3 * (2 / 3) ** 0.5 / 2)  # sd sqrt(2/3)
    assert by_system["S2"]["mos_ci95"] == pytest.approx(T_975_3 * (1 / 3) ** 0.5 / 2)  # sd sqrt(1/3)

    with open(tmp_path / "out" / "ratings.csv", newline="") as f:
        ratings = list(csv.DictReader(f))
    assert len(ratings) == 12 and {r["listener"] for r in ratings} == {"ann", "bob"}
    assert {"listener": "bob", "question": "q02", "system": "S3", "rank": "3", "mos": "2"} in ratings
    with open(tmp_path / "out" / "scores.csv", newline="") as f:
        assert [r["system"] for r in csv.DictReader(f)] == ["S2", "S1", "S3"]
    assert "| S2 | 4 | 1.25 ± 0.80 | 4.50 ± 0.92 |" in markdown_table(rows)


def test_a_listener_may_stop_early(files, tmp_path):
    key, one, _ = files
    partial = dict(LISTENER_1, answers=LISTENER_1["answers"][:1])
    one.write_text(json.dumps(partial))
    rows = {r["system"]: r for r in score(key, [one], tmp_path)}
    assert rows["S3"]["mean_rank"] == 3 and rows["S3"]["ratings"] == 1 and rows["S3"]["rank_ci95"] == 0


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.update(survey="other"), "survey 'other'"),
    (lambda a: a["answers"][0]["ranks"].update(B=1), r"ranks \[1, 1, 2\]"),
    (lambda a: a["answers"][1]["mos"].pop("C"), "rank and rate exactly"),
    (lambda a: a["answers"][1]["mos"].update(C=6), "whole numbers 1-5"),
    (lambda a: a["answers"].append(dict(a["answers"][0])), "answered twice"),
    (lambda a: a["answers"][0].update(question="q09"), "'q09' is unknown"),
    (lambda a: a.pop("answers"), "holds no answers"),
])
def test_malformed_answers_are_refused_naming_the_file(files, tmp_path, change, message):
    key, one, _ = files
    answers = json.loads(json.dumps(LISTENER_1))
    change(answers)
    one.write_text(json.dumps(answers))
    with pytest.raises(InputError, match=message) as error:
        score(key, [one], tmp_path)
    assert str(one) in str(error.value)


def test_bad_key_or_no_answers(files, tmp_path):
    key, one, _ = files
    with pytest.raises(InputError, match="no answer files"):
        score(key, [], tmp_path)
    key.write_text(json.dumps({"survey": "abc123"}))
    with pytest.raises(InputError, match="not a listening-test key"):
        score(key, [one], tmp_path)
