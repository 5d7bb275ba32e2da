"""Data plots written next to each run: the seed study's per-speaker data-length histogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def plot_length_histograms(seconds_by_speaker: dict[str, list[float]], path: str | Path) -> Path:
    """One histogram of utterance durations per speaker, on a shared duration axis; saved as PNG."""
    speakers = list(seconds_by_speaker)
    figure = Figure(figsize=(4 * min(len(speakers), 4), 3 * -(-len(speakers) // 4)), tight_layout=True)
    every = np.concatenate([np.asarray(v, dtype=float) for v in seconds_by_speaker.values()])
    bins = np.linspace(0, every.max() * 1.05, 21)
    for index, speaker in enumerate(speakers, start=1):
        durations = np.asarray(seconds_by_speaker[speaker])
        axis = figure.add_subplot(-(-len(speakers) // 4), min(len(speakers), 4), index)
        axis.hist(durations, bins=bins, color="tab:blue", alpha=0.8)
        axis.set(title=f"{speaker}: {len(durations)} utt, {durations.sum() / 60:.1f} min",
                 xlabel="duration (s)", ylabel="utterances")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def plot_face_samples(faces: list[tuple[np.ndarray, np.ndarray, np.ndarray]], titles: list[str],
                      path: str | Path) -> Path:
    """Face crops (3, S, S) in [0, 1] with their (68, 2) landmarks and face-mask outline; saved as PNG."""
    figure = Figure(figsize=(2.5 * len(faces), 2.8), tight_layout=True)
    for index, ((image, landmarks, face_mask), title) in enumerate(zip(faces, titles, strict=True), start=1):
        axis = figure.add_subplot(1, len(faces), index)
        axis.imshow(np.asarray(image).transpose(1, 2, 0).clip(0, 1))
        axis.contour(np.asarray(face_mask), levels=[0.5], colors="yellow", linewidths=0.8)
        axis.scatter(*np.asarray(landmarks).T, s=3, c="red")
        axis.set(title=title, xticks=[], yticks=[])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
