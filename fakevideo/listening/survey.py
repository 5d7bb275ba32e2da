"""The blinded design: which clips each question plays, in a seeded random order, and the key that unblinds it."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fakevideo.errors import InputError
from fakevideo.listening.references import source_clip, target_reference
from fakevideo.listening.systems import System, shared_clips

LETTERS = string.ascii_uppercase


@dataclass(frozen=True)
class Question:
    """One page section: the natural source and target reference, then the conversions as (letter, system, wav)."""

    id: str
    utterance: str
    source: str
    target: str
    source_clip: Path
    reference_clip: Path
    clips: list[tuple[str, str, Path]]


def design_survey(systems: list[System], corpus: Path, num_questions: int, seed: int) -> list[Question]:
    """Pick `num_questions` shared clips at random and shuffle the systems independently in each question."""
    if num_questions < 1:
        raise InputError(f"--questions {num_questions}: need at least one question")
    if len(systems) > len(LETTERS):
        raise InputError(f"{len(systems)} systems: a question can blind at most {len(LETTERS)}")
    rng = np.random.default_rng(seed)
    keys = shared_clips(systems)
    chosen = rng.choice(len(keys), size=min(num_questions, len(keys)), replace=False)
    questions = []
    for number, index in enumerate(chosen, start=1):
        utterance, source, target = keys[index]
        order = rng.permutation(len(systems))
        clips = [(LETTERS[slot], systems[i].name, systems[i].clips[keys[index]]) for slot, i in enumerate(order)]
        questions.append(Question(f"q{number:02d}", utterance, source, target, source_clip(corpus, source, utterance),
                                  target_reference(corpus, target, utterance, rng), clips))
    return questions


def survey_key(survey_id: str, seed: int, systems: list[System], questions: list[Question]) -> dict:
    """What the page must not contain: which system hides behind each letter of each question."""
    return {
        "survey": survey_id,
        "seed": seed,
        "systems": [s.name for s in systems],
        "questions": [{"id": q.id, "utterance": q.utterance, "source": q.source, "target": q.target,
                       "source_clip": str(q.source_clip), "reference_clip": str(q.reference_clip),
                       "clips": {letter: {"system": name, "path": str(path)} for letter, name, path in q.clips}}
                      for q in questions],
    }
