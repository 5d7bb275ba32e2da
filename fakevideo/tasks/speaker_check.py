"""Validation's guard against a generator that fools its critics without converting the voice: the converted
validation utterances' GE2E speaker embeddings are compared with the source and the target speakers' (mean
embedding of their real test utterances). The run warns when most of them stay closer to the source, and
`val/conversion` = MCD - `weight` x (similarity to target - similarity to source) ranks checkpoints by what a
conversion must achieve on both counts (lower is better; MCD is left out when the corpus has no parallel targets).
"""

from __future__ import annotations

import numpy as np
import torch

from fakevideo.evaluation.speaker import speaker_embedding
from fakevideo.metrics.speaker import cosine_similarity


def closeness_warning(closer_to_source: int, total: int, similarity_target: float, similarity_source: float) -> str:
    return (f"converted speech stays closer to the source speaker than to the target in {closer_to_source} of "
            f"{total} validation utterances (speaker similarity to target {similarity_target:.3f}, to source "
            f"{similarity_source:.3f}): the generator is not converting the voice")


class SpeakerCheck:
    """Collects one validation pass's converted utterances and summarises how close they are to each speaker."""

    def __init__(self, weight: float):
        self.weight = weight
        self.centroids: dict[str, np.ndarray] = {}
        self.similarities: list[tuple[float, float]] = []

    def start(self, datamodule) -> None:
        """A new validation pass; the speakers' centroids are embedded once per run."""
        self.similarities = []
        if not self.centroids:
            from fakevideo.evaluation.voice import speaker_centroids

            with torch.random.fork_rng(devices=[]):  # loading the encoder must not move the run's random stream
                self.centroids = speaker_centroids(datamodule)

    def add(self, audio: np.ndarray, sample_rate: int, source: str, target: str) -> None:
        embedding = speaker_embedding(audio, sample_rate)
        self.similarities.append((cosine_similarity(embedding, self.centroids[target]),
                                  cosine_similarity(embedding, self.centroids[source])))

    def summary(self, mcd: float | None) -> dict[str, float]:
        """val/ metrics of the pass: mean similarities, the fraction closer to the target, the combined score."""
        to_target, to_source = np.mean(self.similarities, axis=0)
        closer = float(np.mean([t > s for t, s in self.similarities]))
        return {"val/speaker_similarity_target": float(to_target), "val/speaker_similarity_source": float(to_source),
                "val/closer_to_target": closer,
                "val/conversion": (mcd or 0.0) - self.weight * float(to_target - to_source)}
