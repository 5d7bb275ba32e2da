"""Unblind listening-test answers with the key and aggregate them: mean similarity rank and naturalness MOS per
system, each with a 95 % Student-t confidence interval over all (listener, question) ratings of that system."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from fakevideo.errors import InputError
from fakevideo.metrics.mcd import mean_ci95

COLUMNS = ("system", "ratings", "mean_rank", "rank_ci95", "mos", "mos_ci95")


@dataclass(frozen=True)
class Rating:
    """One clip heard by one listener, unblinded: rank 1 = most like the target; MOS 1 (bad) to 5 (excellent)."""

    listener: str
    question: str
    system: str
    rank: int
    mos: int


def load_key(path: str | Path) -> dict:
    path = Path(path)
    try:
        key = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: cannot read the listening-test key ({err})") from None
    if not isinstance(key, dict) or not {"survey", "systems", "questions"} <= set(key):
        raise InputError(f"{path}: not a listening-test key (needs survey, systems, questions)")
    return key


def _from_csv(path: Path) -> dict:
    """The page's CSV export regrouped into the JSON export's shape."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    answers: dict[str, dict] = defaultdict(lambda: {"ranks": {}, "mos": {}})
    for row in rows:
        answers[row["question"]]["ranks"][row["clip"]] = int(row["rank"])
        answers[row["question"]]["mos"][row["clip"]] = int(row["mos"])
    return {"survey": rows[0]["survey"] if rows else None, "listener": rows[0]["listener"] if rows else "",
            "answers": [{"question": q, **a} for q, a in answers.items()]}


def _load_answer_file(path: Path) -> dict:
    try:
        if path.suffix.lower() == ".csv":
            return _from_csv(path)
        return json.loads(path.read_text())
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: cannot read answers exported by the listening page ({err})") from None


def read_answers(path: str | Path, key: dict) -> list[Rating]:
    """One listener's exported answers (JSON or CSV), checked against the key and unblinded."""
    path = Path(path)
    data = _load_answer_file(path)
    if not isinstance(data, dict) or data.get("survey") != key["survey"]:
        found = data.get("survey") if isinstance(data, dict) else None
        raise InputError(f"{path}: answers are for survey {found!r}, the key is for {key['survey']!r}")
    if not isinstance(data.get("answers"), list) or not data["answers"]:
        raise InputError(f"{path}: holds no answers (export them from the listening page)")
    questions = {q["id"]: q for q in key["questions"]}
    listener = str(data.get("listener") or path.stem)
    ratings, seen = [], set()
    for answer in data["answers"]:
        qid = answer.get("question")
        if qid not in questions or qid in seen:
            raise InputError(f"{path}: question {qid!r} is unknown or answered twice")
        seen.add(qid)
        clips = questions[qid]["clips"]
        ranks, mos = answer.get("ranks", {}), answer.get("mos", {})
        if set(ranks) != set(clips) or set(mos) != set(clips):
            raise InputError(f"{path}: {qid} must rank and rate exactly the clips {sorted(clips)}")
        if sorted(ranks.values()) != list(range(1, len(clips) + 1)):
            raise InputError(f"{path}: {qid} ranks {sorted(ranks.values())} are not 1..{len(clips)} once each")
        if any(not isinstance(m, int) or not 1 <= m <= 5 for m in mos.values()):
            raise InputError(f"{path}: {qid} naturalness scores must be whole numbers 1-5")
        ratings += [Rating(listener, qid, clips[c]["system"], ranks[c], mos[c]) for c in sorted(clips)]
    return ratings


def aggregate(ratings: list[Rating], systems: list[str]) -> list[dict]:
    """Per system with ratings: count, mean rank and MOS with CI half-widths, best (lowest) mean rank first."""
    rows = []
    for system in systems:
        mine = [r for r in ratings if r.system == system]
        if mine:
            rank, rank_ci = mean_ci95([r.rank for r in mine])
            mos, mos_ci = mean_ci95([r.mos for r in mine])
            rows.append(dict(zip(COLUMNS, (system, len(mine), rank, rank_ci, mos, mos_ci), strict=True)))
    return sorted(rows, key=lambda row: row["mean_rank"])


def markdown_table(rows: list[dict]) -> str:
    lines = ["| system | ratings | mean rank (1 = most like target) | MOS (1-5) |", "|---|---|---|---|"]
    lines += [f"| {r['system']} | {r['ratings']} | {r['mean_rank']:.2f} ± {r['rank_ci95']:.2f} "
              f"| {r['mos']:.2f} ± {r['mos_ci95']:.2f} |" for r in rows]
    return "\n".join(lines)


def _write_csv(path: Path, fieldnames: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def score(key_path: str | Path, answer_paths: list[str | Path], out: str | Path | None = None) -> list[dict]:
    """Unblind every answer file, write `scores.csv` and `ratings.csv` (one row per heard clip) under `out`
    (default: beside the key) and return the per-system rows."""
    if not answer_paths:
        raise InputError("no answer files given")
    key = load_key(key_path)
    ratings = [rating for path in answer_paths for rating in read_answers(path, key)]
    rows = aggregate(ratings, key["systems"])
    out = Path(out) if out is not None else Path(key_path).parent
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "scores.csv", list(COLUMNS), rows)
    _write_csv(out / "ratings.csv", list(Rating.__dataclass_fields__), [asdict(r) for r in ratings])
    return rows
