"""Blinded listening tests: a self-contained survey page built from a run's samples, and the scoring of answers.

    python -m fakevideo.listening build RUN_OR_MULTIRUN_DIR [--out DIR] [--questions N] [--seed S]
    python -m fakevideo.listening score KEY.json ANSWERS.json ...
"""

from fakevideo.listening.build import build_listening_test
from fakevideo.listening.score import Rating, aggregate, read_answers, score

__all__ = ["Rating", "aggregate", "build_listening_test", "read_answers", "score"]
