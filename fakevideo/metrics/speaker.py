"""Speaker embeddings and similarity: cosine similarity of a converted utterance's embedding to the target
speaker's and to the source speaker's. The embedder is Resemblyzer's GE2E speaker encoder, whose weights ship
inside its wheel (nothing is downloaded); it runs at 16 kHz."""

from __future__ import annotations

import functools

import numpy as np

from fakevideo.audio.io import resample

EMBEDDING_RATE = 16000


@functools.cache
def _encoder():
    from resemblyzer import VoiceEncoder

    return VoiceEncoder(device="cpu", verbose=False)


def speaker_embedding(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """A unit-norm 256-d GE2E embedding of one utterance."""
    wav = resample(np.asarray(audio, dtype=np.float32), sample_rate, EMBEDDING_RATE)
    return _encoder().embed_utterance(wav)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
