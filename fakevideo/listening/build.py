"""Build a listening test from a run or multirun directory: the page to send to listeners and the key to keep."""

from __future__ import annotations

from pathlib import Path

from fakevideo.atomic import write_bytes, write_json
from fakevideo.listening.page import render_page, survey_id
from fakevideo.listening.references import corpus_root
from fakevideo.listening.survey import design_survey, survey_key
from fakevideo.listening.systems import find_systems

PAGE_NAME = "listening_test.html"
KEY_NAME = "key.json"


def build_listening_test(path: str | Path, out: str | Path | None = None, num_questions: int = 10, seed: int = 0,
                         source_dir: str | Path | None = None, max_systems: int = 6) -> tuple[Path, Path]:
    """Write `<out>/listening_test.html` (self-contained, blinded) and `<out>/key.json` (never send it out).

    `out` defaults to `<path>/listening`; the same inputs and seed give byte-identical files."""
    path = Path(path)
    systems = find_systems(path, max_systems)
    corpus = corpus_root(systems[0].run_dir, Path(source_dir) if source_dir is not None else None)
    questions = design_survey(systems, corpus, num_questions, seed)
    survey = survey_id(questions, seed)
    out = Path(out) if out is not None else path / "listening"
    page, key = out / PAGE_NAME, out / KEY_NAME
    write_bytes(page, render_page(questions, survey, f"Listening test {survey}").encode("utf-8"))
    write_json(key, survey_key(survey, seed, systems, questions))
    return page, key
