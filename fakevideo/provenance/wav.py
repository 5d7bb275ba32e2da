"""WAV output that always says it is synthetic: JSON label in a LIST/INFO chunk, plus the audio watermark."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from fakevideo import __version__
from fakevideo.atomic import write_bytes
from fakevideo.errors import InputError
from fakevideo.provenance.audio_watermark import DEFAULT_STRENGTH_DB, embed_audio_watermark
from fakevideo.provenance.label import ProvenanceLabel
from fakevideo.provenance.riff import read_info, with_info_chunk
from fakevideo.provenance.spread import DEFAULT_KEY

LABEL_FIELD = "ICMT"
SOFTWARE_FIELD = "ISFT"


def write_wav(
    path: str | Path,
    audio: np.ndarray,
    sample_rate: int,
    label: ProvenanceLabel,
    watermark: bool = True,
    key: str | bytes = DEFAULT_KEY,
    subtype: str = "PCM_16",
    strength_db: float = DEFAULT_STRENGTH_DB,
) -> None:
    """Atomically write float `audio` in [-1, 1] (samples, or samples x channels) as a labelled WAV."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim not in (1, 2) or audio.shape[0] == 0 or not np.all(np.isfinite(audio)):
        raise InputError(f"{path}: audio to write must be a non-empty, finite 1-D or 2-D array")
    if watermark:
        audio = embed_audio_watermark(audio, sample_rate, key, strength_db)
    if subtype.startswith("PCM"):
        audio = np.clip(audio, -1.0, 1.0)  # libsndfile would wrap around, not clip
    buffer = io.BytesIO()
    sf.write(buffer, audio, sample_rate, subtype=subtype, format="WAV")
    fields = {LABEL_FIELD: label.to_json(), SOFTWARE_FIELD: f"fakevideo {__version__}"}
    write_bytes(path, with_info_chunk(buffer.getvalue(), fields))


def read_wav_label(path: str | Path) -> ProvenanceLabel | None:
    """The provenance label stored in a WAV file, or None if it has none."""
    text = read_info(path).get(LABEL_FIELD)
    if text is None or not text.lstrip().startswith("{"):
        return None
    return ProvenanceLabel.from_json(text, source=str(path))


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Float64 samples (samples, or samples x channels) and the sample rate; InputError if unreadable."""
    try:
        audio, sample_rate = sf.read(path, dtype="float64")
    except sf.LibsndfileError as err:
        raise InputError(f"{path}: cannot read audio ({err.error_string})") from None
    if audio.shape[0] == 0:
        raise InputError(f"{path}: audio file is empty")
    return audio, sample_rate
