"""Data plots written next to each run (the seed study's per-speaker data-length histogram, face crops with their
landmarks) and the face grid that face runs' validation samples reuse."""

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


#: one face panel: image (3, S, S) in [0, 1], its (68, 2) landmarks in pixels or None, its face mask (S, S) or None
FacePanel = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def face_grid_figure(rows: list[list[FacePanel]], titles: list[str]) -> Figure:
    """Face panels in a grid (one row per sample, `titles` over the columns), each with its landmarks and its
    face-mask outline where given: what the data overview and face runs' validation samples show."""
    columns = len(titles)
    figure = Figure(figsize=(2.5 * columns, 2.5 * len(rows) + 0.3), tight_layout=True)
    for row_index, row in enumerate(rows):
        for column, ((image, landmarks, face_mask), title) in enumerate(zip(row, titles, strict=True)):
            axis = figure.add_subplot(len(rows), columns, row_index * columns + column + 1)
            axis.imshow(np.asarray(image).transpose(1, 2, 0).clip(0, 1))
            if face_mask is not None:
                axis.contour(np.asarray(face_mask), levels=[0.5], colors="yellow", linewidths=0.8)
            if landmarks is not None:
                axis.scatter(*np.asarray(landmarks).T, s=3, c="red")
            axis.set(title=title if row_index == 0 else None, xticks=[], yticks=[])
    return figure


def plot_face_samples(faces: list[FacePanel], titles: list[str], path: str | Path) -> Path:
    """Face crops side by side, one title each, with their landmarks and face-mask outline; saved as PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    face_grid_figure([faces], titles).savefig(path, dpi=100)
    return path
