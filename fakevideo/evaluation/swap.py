"""`python -m fakevideo.evaluate_swap SWAPPED SOURCE TARGET [--out DIR]`: how similar a face-swapped video is to its
target and its source (pixels, face embedding, PCA), whose identity it carries, how well it keeps the target's
pose and expression, and whether its mouth still moves with its voice (audio-visual sync, the target's own as the
reference). Prints a table; writes per-frame and summary CSVs, one plot per feature type and one of flicker and
sync.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from fakevideo.atomic import atomic_path
from fakevideo.audio.io import load_audio
from fakevideo.errors import InputError, exit_on_user_error
from fakevideo.evaluation.video import face_track, video_similarity
from fakevideo.metrics.av_sync import SyncScore, mouth_opening, speech_envelope, sync_score
from fakevideo.metrics.flicker import flicker, frame_changes
from fakevideo.metrics.video_similarity import (
    FEATURES,
    METRICS,
    FaceTrack,
    Similarity,
    expression_error,
    face_regions,
    identity_similarity,
    pose_error,
)
from fakevideo.video.faces import FaceDetector, make_detector
from fakevideo.video.io import iter_frames, read_video_info

PAIRS = ("target", "source")  # the swapped video is compared with each of these
SYNCED = ("swapped", "target")  # videos whose own audio is checked against their mouth
SYNC_RATE = 16000
POSE_AXES = ("yaw", "pitch", "roll")


@dataclass(frozen=True)
class SwapEvaluation:
    """Per-frame measures of a swapped video (T frames); shorter series are NaN-padded to T."""

    num_frames: int
    similarity: dict[str, dict[str, Similarity]]  # pair -> feature type -> similarity
    identity: dict[str, np.ndarray]  # pair -> (T,) cosine to that video's identity
    pose_error: np.ndarray  # (T, 3) degrees
    expression_error: np.ndarray  # (T,) fraction of the inter-ocular distance
    sync: dict[str, SyncScore]  # video -> its audio against its mouth (NaN without an audio track)
    flicker: np.ndarray  # (T-1,) grey levels: output's frame-to-frame change in the target's face minus the target's

    def columns(self) -> dict[str, np.ndarray]:
        """Every per-frame series by column name, each of length T."""
        columns = {
            f"{pair}_{feature}_{metric}": getattr(sim, metric)
            for pair, by_feature in self.similarity.items()
            for feature, sim in by_feature.items()
            for metric in METRICS
        }
        columns |= {f"identity_to_{pair}": values for pair, values in self.identity.items()}
        columns |= {f"pose_error_{axis}": self.pose_error[:, i] for i, axis in enumerate(POSE_AXES)}
        columns["expression_error"] = self.expression_error
        columns["flicker"] = np.concatenate([[np.nan], self.flicker])  # frame t: change from t-1
        return {name: _pad(values, self.num_frames) for name, values in columns.items()}


def _pad(values: np.ndarray, length: int) -> np.ndarray:
    return np.concatenate([values, np.full(length - len(values), np.nan)])


def _mean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def audio_visual_sync(path: Path, track: FaceTrack) -> SyncScore:
    """A video's own audio track against its main face's mouth opening; NaN when it has no audio."""
    try:
        audio, rate = load_audio(path, SYNC_RATE)
    except InputError:
        return SyncScore(float("nan"), float("nan"))
    fps = read_video_info(path).fps
    return sync_score(speech_envelope(audio, rate, fps, len(track.landmarks)), mouth_opening(track.landmarks), fps)


def temporal_flicker(swapped: Path, target: Path, target_track: FaceTrack) -> np.ndarray:
    """Per-frame flicker of the swapped video inside the target's face region (metrics.flicker)."""
    regions = face_regions(target_track)
    return flicker(frame_changes(iter_frames(swapped), regions), frame_changes(iter_frames(target), regions))


@dataclass(frozen=True)
class Coherence:
    """Whether a fake video holds together: each video's own audio against its mouth (the output, and the target
    it was made from as the reference) and the output's mean flicker (grey levels per frame beyond the target's)."""

    sync: dict[str, SyncScore]
    flicker: float

    def __str__(self) -> str:
        sync = ", ".join(f"{name} {score.correlation:.2f} at {score.offset_s:+.2f} s"
                         for name, score in self.sync.items())
        return (f"audio-visual sync (correlation of speech level and mouth opening at the best audio lag): {sync}; "
                f"flicker {self.flicker:+.2f} grey levels per frame beyond the target's")


def coherence(output: str | Path, target: str | Path, detector: FaceDetector | None = None) -> Coherence:
    """Sync and flicker of a face-swapped video with its own audio against the video it was made from, from face
    landmarks alone (no identity embeddings: fast enough for every fake video's summary)."""
    paths = {"output": Path(output), "target": Path(target)}
    detector = detector or make_detector("dlib")
    tracks = {name: face_track(path, detector, landmarks_only=True) for name, path in paths.items()}
    return Coherence({name: audio_visual_sync(paths[name], tracks[name]) for name in paths},
                     _mean(temporal_flicker(paths["output"], paths["target"], tracks["target"])))


def evaluate_swap(
    swapped: str | Path, source: str | Path, target: str | Path, detector: FaceDetector | None = None
) -> SwapEvaluation:
    """All measures of a swap; every file is checked first so a bad one fails before any long computation."""
    paths = {"swapped": Path(swapped), "source": Path(source), "target": Path(target)}
    for path in paths.values():
        read_video_info(path)
    detector = detector or make_detector("dlib")
    tracks = {name: face_track(path, detector) for name, path in paths.items()}
    return SwapEvaluation(
        num_frames=len(tracks["swapped"].embeddings),  # frames decoded, not the header's count
        similarity={
            pair: video_similarity(paths["swapped"], paths[pair], (tracks["swapped"], tracks[pair])) for pair in PAIRS
        },
        identity={pair: identity_similarity(tracks["swapped"], tracks[pair]) for pair in PAIRS},
        pose_error=pose_error(tracks["swapped"], tracks["target"]),
        expression_error=expression_error(tracks["swapped"], tracks["target"]),
        sync={name: audio_visual_sync(paths[name], tracks[name]) for name in SYNCED},
        flicker=temporal_flicker(paths["swapped"], paths["target"], tracks["target"]),
    )


def format_table(evaluation: SwapEvaluation) -> str:
    """The averaged measures as a plain-text table."""
    lines = [f"{'swapped vs':<10} {'feature':<8} {'cosine':>8} {'mse':>10} {'ssim':>8} {'missing':>8}"]
    for pair, by_feature in evaluation.similarity.items():
        for feature, sim in by_feature.items():
            means = sim.means()
            lines.append(
                f"{pair:<10} {feature:<8} {means['cosine']:>8.4f} {means['mse']:>10.6f} {means['ssim']:>8.4f} "
                f"{sim.missing:>8d}"
            )
    identity = ", ".join(f"to {pair} {_mean(values):.4f}" for pair, values in evaluation.identity.items())
    pose = ", ".join(f"{axis} {_mean(evaluation.pose_error[:, i]):.2f}" for i, axis in enumerate(POSE_AXES))
    lines += [
        f"identity similarity (cosine of dlib embeddings): {identity}",
        f"pose error vs target (degrees): {pose}",
        f"expression error vs target (landmark distance / inter-ocular): {_mean(evaluation.expression_error):.4f}",
        f"flicker (face change per frame beyond the target's own, grey levels): {_mean(evaluation.flicker):+.3f}",
        "audio-visual sync (audio lag at the best offset, correlation): " + ", ".join(
            f"{name} {score.offset_s:+.2f} s {score.correlation:.3f}" for name, score in evaluation.sync.items()),
    ]
    return "\n".join(lines)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def plot_feature(evaluation: SwapEvaluation, feature: str, path: Path) -> None:
    """Similarity over time for one feature type: a panel per defined metric (plus identity for faces)."""
    columns = evaluation.columns()
    panels = {
        metric: {pair: columns[f"{pair}_{feature}_{metric}"] for pair in evaluation.similarity}
        for metric in METRICS
        if any(np.isfinite(columns[f"{pair}_{feature}_{metric}"]).any() for pair in evaluation.similarity)
    }
    if feature == "face":
        panels["identity"] = {pair: columns[f"identity_to_{pair}"] for pair in evaluation.identity}
    figure = Figure(figsize=(4 * len(panels), 3), tight_layout=True)
    frames = np.arange(evaluation.num_frames)
    for index, (metric, series) in enumerate(panels.items(), start=1):
        axis = figure.add_subplot(1, len(panels), index)
        for pair, values in series.items():
            axis.plot(frames, values, marker=".", label=f"vs {pair}")
        axis.set(title=f"{feature}: {metric}", xlabel="frame", ylabel=metric)
        axis.legend()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")


def plot_coherence(evaluation: SwapEvaluation, path: Path) -> None:
    """Flicker over time, and each video's correlation of speech level and mouth opening against the audio's lag."""
    figure = Figure(figsize=(8, 3), tight_layout=True)
    flicker_axis, sync_axis = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    flicker_axis.plot(np.arange(evaluation.num_frames), evaluation.columns()["flicker"], marker=".")
    flicker_axis.axhline(0, color="grey", linewidth=0.8)
    flicker_axis.set(title="flicker (beyond the target's own)", xlabel="frame", ylabel="grey levels")
    curves = {name: score.curve for name, score in evaluation.sync.items() if score.curve}
    for name, curve in curves.items():
        offsets, correlations = zip(*curve, strict=True)
        sync_axis.plot(offsets, correlations, marker=".", label=name)
    sync_axis.axvline(0, color="grey", linewidth=0.8)
    sync_axis.set(title="audio-visual sync", xlabel="audio lag (s)", ylabel="correlation")
    if curves:
        sync_axis.legend()
    else:
        sync_axis.text(0.5, 0.5, "no audio track", ha="center", transform=sync_axis.transAxes)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")


def write_outputs(evaluation: SwapEvaluation, out: str | Path) -> list[Path]:
    """`frames.csv` (one row per frame), `summary.csv` (means), `similarity_<feature>.png` and `coherence.png`
    (flicker and sync) under `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    columns = evaluation.columns()
    rows = [[t, *(f"{values[t]:.6g}" for values in columns.values())] for t in range(evaluation.num_frames)]
    _write_csv(out / "frames.csv", ["frame", *columns], rows)
    sync = [[f"sync_{field}_{name}", f"{getattr(score, field):.6g}"] for name, score in evaluation.sync.items()
            for field in ("offset_s", "correlation")]
    _write_csv(out / "summary.csv", ["measure", "mean"],
               [[name, f"{_mean(v):.6g}"] for name, v in columns.items()] + sync)
    written = [out / "frames.csv", out / "summary.csv"]
    for feature in FEATURES:
        written.append(out / f"similarity_{feature}.png")
        plot_feature(evaluation, feature, written[-1])
    written.append(out / "coherence.png")
    plot_coherence(evaluation, written[-1])
    return written


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("swapped", type=Path, help="the face-swapped video")
    parser.add_argument("source", type=Path, help="video (or image) of the identity swapped in")
    parser.add_argument("target", type=Path, help="the video whose face was replaced")
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluate_swap"))
    args = parser.parse_args(argv)
    evaluation = evaluate_swap(args.swapped, args.source, args.target)
    print(format_table(evaluation))
    written = write_outputs(evaluation, args.out)
    print(f"\nwrote {', '.join(p.name for p in written)} to {args.out}")


if __name__ == "__main__":
    main()
