"""Natural reference speech for each question: the source utterance and a target-speaker recording.

Both come from the corpus the run was trained on (`data.root` in the run's config.yaml, or `data.demo_dir` when
root is null; relative paths are taken from the current directory, as training did), or from `--source-dir`
laid out the same way, `<dir>/<speaker>/<utt>.<ext>`. The target reference is a *different* sentence of the
target speaker (chosen with the build's seed) so listeners judge the voice, not a match of words and prosody.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from fakevideo.audio.io import list_audio_files
from fakevideo.errors import ConfigError, InputError


def corpus_root(run_dir: Path, source_dir: Path | None = None) -> Path:
    """The corpus folder: `source_dir` when given, else the one named in the run's config.yaml."""
    if source_dir is not None:
        if not source_dir.is_dir():
            raise InputError(f"--source-dir {source_dir}: no such folder")
        return source_dir
    config = run_dir / "config.yaml"
    if not config.is_file():
        raise InputError(f"{config}: no run config to find the corpus; pass --source-dir <corpus>")
    data = (yaml.safe_load(config.read_text()) or {}).get("data") or {}
    root = data.get("root") or data.get("demo_dir")
    if not root:
        raise ConfigError(f"{config}: neither data.root nor data.demo_dir is set; pass --source-dir <corpus>")
    if not Path(root).is_dir():
        raise InputError(f"{config}: corpus {root} not found from {Path.cwd()}; pass --source-dir <corpus>")
    return Path(root)


def speaker_files(corpus: Path, speaker: str) -> list[Path]:
    folder = corpus / speaker
    if not folder.is_dir():
        raise InputError(f"{folder}: speaker folder missing from the corpus")
    return list_audio_files(folder)


def source_clip(corpus: Path, speaker: str, utterance: str) -> Path:
    """The natural recording the conversion started from."""
    for path in speaker_files(corpus, speaker):
        if path.stem == utterance:
            return path
    raise InputError(f"{corpus / speaker}: no audio file for utterance {utterance!r}")


def target_reference(corpus: Path, speaker: str, utterance: str, rng: np.random.Generator) -> Path:
    """A recording of the target speaker saying another sentence (the same one only if it is all there is)."""
    files = speaker_files(corpus, speaker)
    others = [p for p in files if p.stem != utterance] or files
    if not others:
        raise InputError(f"{corpus / speaker}: no audio files for the target reference")
    return others[int(rng.integers(len(others)))]
