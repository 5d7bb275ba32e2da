"""Speaker similarity: cosine similarity of a converted utterance's embedding to the target speaker's and to the
source speaker's (the embeddings come from `evaluation.speaker`)."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
