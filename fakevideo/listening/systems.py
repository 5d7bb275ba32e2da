"""What a listening test compares: the systems of a run or multirun directory and the sample clips they share.

A multirun directory (job dirs with `.hydra/overrides.yaml`) gives one system per job, heard at its latest
validation (`samples/iter_*`); a single run gives one system per validation iteration. A clip is identified by
the provenance label every sample WAV carries (utterance, source and target speaker), so speaker names with
underscores parse without guessing, and an unlabelled file is refused rather than shown to listeners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fakevideo.errors import InputError
from fakevideo.evaluation.report import find_jobs, iteration_dirs
from fakevideo.provenance import read_wav_label

log = logging.getLogger(__name__)

ClipKey = tuple[str, str, str]  # (utterance, source speaker, target speaker)


@dataclass(frozen=True)
class System:
    """One condition under test: a name (job directory or iteration) and its converted clips by ClipKey."""

    name: str
    run_dir: Path
    clips: dict[ClipKey, Path]


def read_clips(folder: Path) -> dict[ClipKey, Path]:
    """Sample WAVs of one validation, keyed by the (utterance, source, target) of their provenance label."""
    clips = {}
    for path in sorted(folder.glob("*.wav")):
        label = read_wav_label(path)
        if label is None or not label.synthetic:
            raise InputError(f"{path}: sample has no synthetic provenance label; refusing to put it in a test")
        try:
            key = (str(label.extra["utterance"]), label.extra["source_speaker"], label.extra["target_speaker"])
        except KeyError as err:
            raise InputError(f"{path}: provenance label lacks {err.args[0]!r}; not a fakevideo sample") from None
        clips[key] = path
    return clips


def evenly_spaced(items: list, count: int) -> list:
    """At most `count` items spread evenly from first to last (both kept)."""
    if len(items) <= count:
        return list(items)
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, count).round().astype(int))]


def find_systems(path: Path, max_systems: int = 6) -> list[System]:
    """Systems of a single run (its iterations, at most `max_systems` evenly spaced) or of a multirun (its jobs)."""
    if not path.is_dir():
        raise InputError(f"{path}: no such run or multirun directory")
    if (path / "samples").is_dir():
        folders = evenly_spaced(iteration_dirs(path), max_systems)
        systems = [System(folder.name, path, read_clips(folder)) for folder in folders]
    else:
        systems = []
        for job in find_jobs(path):
            folders = iteration_dirs(job)
            if folders:
                systems.append(System(str(job.relative_to(path)), job, read_clips(folders[-1])))
            else:
                log.warning("%s: no samples/iter_* folder (did the job fail?); left out of the test", job)
    systems = [s for s in systems if s.clips]
    if len(systems) < 2:
        raise InputError(f"{path}: a listening test needs sample clips from at least two systems, found {len(systems)}")
    return systems


def shared_clips(systems: list[System]) -> list[ClipKey]:
    """Clip keys every system has, sorted: only those make a fair question."""
    keys = sorted(set.intersection(*(set(s.clips) for s in systems)))
    if not keys:
        raise InputError("no (utterance, source, target) sample is shared by all systems; validate the same pairs")
    return keys
