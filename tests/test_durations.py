"""Rhythm-aware conversion (`convert.py duration=keep|global|voiced`): segment statistics, time-scaling of WORLD
feature sequences, and the converter's use of them."""

import math

import numpy as np
import pytest
import torch

from fakevideo.audio.durations import DurationStats, segment_ratios, segments, time_scale
from fakevideo.audio.io import load_audio
from fakevideo.errors import CheckpointError, ConfigError
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.training.checkpoints import load_checkpoint

PERIOD_MS = 5.0


def contour(lengths: list[int]) -> np.ndarray:
    """An F0 contour of alternating unvoiced and voiced runs of the given lengths, starting unvoiced."""
    return np.concatenate([np.full(n, 0.0 if i % 2 == 0 else 120.0 + i) for i, n in enumerate(lengths)])


def features(f0: np.ndarray, silent: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F0, MCEPs (c0 loud except the `silent` first and last frames; c1 = frame index) and aperiodicity."""
    frames = np.arange(len(f0), dtype=np.float64)
    level = np.where((frames < silent[0]) | (frames >= len(f0) - silent[1]), -10.0, 0.0)
    return f0, np.stack([level, frames], axis=1), np.stack([frames / len(f0)] * 3, axis=1)


def stats(speech_s: float, voiced_s: float, unvoiced_s: float) -> DurationStats:
    return DurationStats(np.log(speech_s), np.log(voiced_s), 0.3, np.log(unvoiced_s), 0.3)


def test_segments_are_voiced_and_unvoiced_runs_inside_the_speech():
    f0, mcep, _ = features(contour([30, 20, 2, 20, 10, 30, 20]), silent=(25, 15))
    runs = [(r.start, r.end, r.voiced, r.speech) for r in segments(f0, mcep, PERIOD_MS)]
    assert runs == [(0, 25, False, False), (25, 30, False, True),  # silence, then an unvoiced onset
                    (30, 72, True, True),  # the 10 ms voicing dropout is no segment of its own
                    (72, 82, False, True), (82, 112, True, True), (112, 117, False, True), (117, 132, False, False)]


def test_statistics_of_a_speaker():
    utterances = [features(contour([10, 20, 10, 20, 30]), silent=(10, 30)),
                  features(contour([5, 20, 10, 20]), silent=(5, 0))]
    measured = DurationStats.from_features([(f0, mcep) for f0, mcep, _ in utterances], PERIOD_MS)
    assert measured.speech_log_mean == pytest.approx(np.log(0.25))  # both: 50 speech frames of 5 ms
    assert measured.voiced_log_mean == pytest.approx(np.log(0.1))  # every voiced run lasts 20 frames
    assert measured.unvoiced_log_mean == pytest.approx(np.log(0.05))  # pauses inside speech only: 10 frames
    assert DurationStats.from_dict(measured.to_dict()) == measured
    assert DurationStats.from_dict({"rate": 3.0}) is None  # another version's statistics: none to use
    steady = features(contour([0, 80]))  # a held tone: no rhythm to describe
    assert DurationStats.from_features([steady[:2]] * 5, PERIOD_MS) is None


def test_time_scaling_by_a_known_ratio_changes_frame_counts_and_keeps_voicing():
    f0, mcep, ap = features(contour([20, 40, 10, 30, 20]))
    runs = segments(f0, mcep, PERIOD_MS)
    scaled_f0, scaled_mcep, scaled_ap = time_scale(f0, mcep, ap, runs, np.full(len(runs), 1.5))
    assert len(scaled_f0) == len(scaled_mcep) == len(scaled_ap) == 180
    assert [r.length for r in segments(scaled_f0, scaled_mcep, PERIOD_MS)] == [30, 60, 15, 45, 30]
    assert (scaled_f0[:30] == 0).all() and (scaled_f0[30:90] == 121).all()  # unvoiced F0 stays 0
    assert np.all(np.diff(scaled_mcep[:, 1]) >= 0) and scaled_mcep[-1, 1] == mcep[-1, 1]  # interpolated in order


def test_keep_leaves_the_features_unchanged():
    f0, mcep, ap = features(contour([20, 40, 10, 30, 20]))
    runs = segments(f0, mcep, PERIOD_MS)
    ratios = segment_ratios(runs, "keep", PERIOD_MS, stats(2.0, 0.2, 0.05), stats(1.0, 0.1, 0.03))
    for before, after in zip((f0, mcep, ap), time_scale(f0, mcep, ap, runs, ratios), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("mode", ["global", "voiced"])
def test_a_faster_target_speaker_shortens_the_speech(mode):
    f0, mcep, ap = features(contour([20, 40, 10, 30, 10, 40, 20]), silent=(15, 15))
    runs = segments(f0, mcep, PERIOD_MS)
    slow, fast = stats(2.0, 0.2, 0.05), stats(1.4, 0.13, 0.035)
    ratios = segment_ratios(runs, mode, PERIOD_MS, slow, fast)
    speech = np.array([run.speech for run in runs])
    assert (ratios < 1).all() if mode == "global" else (ratios[speech] < 1).all() and (ratios[~speech] == 1).all()
    assert len(time_scale(f0, mcep, ap, runs, ratios)[0]) < len(f0)
    assert len(time_scale(f0, mcep, ap, runs, segment_ratios(runs, mode, PERIOD_MS, fast, slow))[0]) > len(f0)


def test_voiced_shares_out_the_global_change_between_voiced_and_unvoiced_segments():
    f0, mcep, ap = features(contour([20, 40, 10, 30, 10, 40, 20]), silent=(15, 15))
    runs = segments(f0, mcep, PERIOD_MS)
    same_pace_longer_pauses = stats(2.0, 0.15, 0.1)
    ratios = segment_ratios(runs, "voiced", PERIOD_MS, stats(2.0, 0.2, 0.05), same_pace_longer_pauses)
    voiced = np.array([run.voiced for run in runs])
    assert (ratios[voiced] < 1).all() and (ratios[~voiced & [run.speech for run in runs]] > 1).all()
    assert len(time_scale(f0, mcep, ap, runs, ratios)[0]) == pytest.approx(len(f0), abs=1)


@pytest.fixture(scope="module")
def checkpoint(trained_stargan):
    return trained_stargan / "checkpoints" / "last.ckpt"


def edited(checkpoint, tmp_path, edit):
    """A copy of the checkpoint with its per-speaker statistics edited."""
    stored = load_checkpoint(checkpoint)
    edit(stored["fakevideo"]["data"]["stats"])
    path = tmp_path / "edited.ckpt"
    torch.save(stored, path)
    return path


def test_converter_moves_the_timing_toward_a_faster_target(checkpoint, demo_corpus, tmp_path):
    def faster_target(all_stats):
        target = all_stats["us2_m"]["duration"]
        for key in ("speech_log_mean", "voiced_log_mean", "unvoiced_log_mean"):
            target[key] -= math.log(1.5)  # a float: checkpoints hold plain data only

    path = edited(checkpoint, tmp_path, faster_target)
    speech, _ = load_audio(demo_corpus / "us1_f" / "harvard_001.wav", 16000)
    lengths = {mode: len(VoiceConverter.from_checkpoint(path, duration=mode).convert(speech, "us1_f", "us2_m"))
               for mode in ("keep", "global", "voiced")}
    assert lengths["keep"] == len(speech)
    assert lengths["global"] < 0.8 * len(speech) and lengths["voiced"] < 0.95 * len(speech)


def test_old_checkpoints_convert_with_keep_and_refuse_other_durations_in_one_line(checkpoint, tmp_path):
    path = edited(checkpoint, tmp_path, lambda all_stats: [s.pop("duration") for s in all_stats.values()])
    assert VoiceConverter.from_checkpoint(path).duration == "keep"
    with pytest.raises(CheckpointError, match="duration=voiced: this checkpoint holds no speaking-rhythm"):
        VoiceConverter.from_checkpoint(path, duration="voiced")
    with pytest.raises(ConfigError, match="duration='slow'"):
        VoiceConverter.from_checkpoint(checkpoint, duration="slow")
