"""Speaker embeddings of utterances: Resemblyzer's GE2E speaker encoder, whose weights ship inside its wheel
(nothing is downloaded); it runs at 16 kHz. Their similarity is `metrics.speaker.cosine_similarity`."""

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
