"""Evaluation metrics against hand-computed cases and brute force."""

import numpy as np
import pytest
from scipy import stats

from fakevideo.audio.io import load_audio
from fakevideo.evaluation.speaker import speaker_embedding
from fakevideo.metrics.dtw import dtw_path
from fakevideo.metrics.f0 import f0_metrics
from fakevideo.metrics.mcd import MCD_CONSTANT, align_speech, band_mcds, mean_ci95, mel_cepstral_distortion
from fakevideo.metrics.msd import modulation_spectrum_distance
from fakevideo.metrics.prdc import prdc
from fakevideo.metrics.speaker import cosine_similarity

RNG = np.random.default_rng(0)


def test_mcd_zero_for_identical_and_closed_form_for_constant_offset():
    mcep = RNG.normal(size=(120, 36))
    assert mel_cepstral_distortion(mcep, mcep, None) == 0.0
    shifted = mcep + np.r_[5.0, np.full(35, 0.1)]  # c0 change must not count
    expected = 10 / np.log(10) * np.sqrt(2 * 35 * 0.1**2)
    assert mel_cepstral_distortion(shifted, mcep, None) == pytest.approx(expected)
    assert MCD_CONSTANT == pytest.approx(10 / np.log(10) * np.sqrt(2))


def test_dtw_aligns_a_time_stretched_copy_exactly():
    mcep = RNG.normal(size=(50, 20))
    stretched = np.repeat(mcep, 2, axis=0)
    path = dtw_path(mcep, stretched)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [49, 99]
    assert np.all(np.diff(path, axis=0) >= 0)
    assert mel_cepstral_distortion(stretched, mcep, None) == pytest.approx(0.0, abs=1e-9)


def test_silent_frames_are_excluded():
    speech = RNG.normal(size=(100, 10))
    speech[:, 0] = 0.0
    silence = RNG.normal(size=(100, 10)) * 5
    silence[:, 0] = -20.0  # far below speech energy
    with_pause = np.concatenate([speech, silence])
    assert mel_cepstral_distortion(with_pause, speech) == pytest.approx(0.0, abs=1e-9)


def test_mcd_on_a_given_alignment_is_the_mcd_on_those_frames():
    converted, target = RNG.normal(size=(80, 12)), RNG.normal(size=(90, 12))
    alignment = align_speech(converted, target)
    assert mel_cepstral_distortion(converted, target, alignment=alignment) == mel_cepstral_distortion(converted, target)
    half = (alignment[0][::2], alignment[1][::2])  # the given frames are used, not a new DTW
    frames = np.sqrt(((converted[half[0], 1:] - target[half[1], 1:]) ** 2).sum(1)).mean()
    assert mel_cepstral_distortion(converted, target, alignment=half) == pytest.approx(MCD_CONSTANT * frames)


def test_band_mcds_split_the_distortion_by_cepstral_band():
    """An error in c2 shows in the low band only; per frame the squared band MCDs add up to the squared MCD."""
    target = RNG.normal(size=(1, 36))
    tilted = target + np.r_[0.0, 0.0, 0.5, np.zeros(33)]
    frame = (np.array([0]), np.array([0]))
    bands = band_mcds(tilted, target, frame)
    assert bands["mcd_c1_4"] == pytest.approx(MCD_CONSTANT * 0.5) and bands["mcd_c5_12"] == bands["mcd_c13_up"] == 0
    noisy = target + RNG.normal(size=(1, 36))
    squared = sum(value**2 for value in band_mcds(noisy, target, frame).values())
    assert squared == pytest.approx(mel_cepstral_distortion(noisy, target, alignment=frame) ** 2)


def test_mean_ci95_matches_student_t():
    mean, half = mean_ci95([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(stats.t.ppf(0.975, 2) / np.sqrt(3))
    assert mean_ci95([4.0]) == (4.0, 0.0)


def test_f0_metrics():
    f0 = np.where(np.arange(100) % 4 == 0, 0.0, 120.0 + np.arange(100))
    perfect = f0_metrics(f0, f0)
    assert perfect["f0_rmse"] == 0 and perfect["f0_corr"] == pytest.approx(1.0) and perfect["vuv_error"] == 0
    octave = f0_metrics(2 * f0, f0)
    assert octave["f0_rmse"] == pytest.approx(1200.0) and octave["f0_corr"] == pytest.approx(1.0)
    flipped = f0.copy()
    flipped[:10] = np.where(flipped[:10] > 0, 0.0, 100.0)
    assert f0_metrics(flipped, f0)["vuv_error"] == pytest.approx(0.10)


def test_msd_zero_for_identical_and_grows_with_oversmoothing():
    mceps = [RNG.normal(size=(300, 25)) for _ in range(3)]
    assert modulation_spectrum_distance(mceps, mceps) == 0.0
    kernel = np.ones(9) / 9
    smooth = [np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, m) for m in mceps]
    lightly = [np.apply_along_axis(lambda c: np.convolve(c, np.ones(3) / 3, mode="same"), 0, m) for m in mceps]
    assert modulation_spectrum_distance(smooth, mceps) > modulation_spectrum_distance(lightly, mceps) > 0


def brute_force_prdc(real, fake, k):
    def radii(x):
        return np.array([np.sort([np.linalg.norm(a - b) for b in x])[k] for a in x])

    r_real, r_fake = radii(real), radii(fake)
    dist = np.array([[np.linalg.norm(a - b) for b in fake] for a in real])
    precision = np.mean([any(dist[i, j] < r_real[i] for i in range(len(real))) for j in range(len(fake))])
    recall = np.mean([any(dist[i, j] < r_fake[j] for j in range(len(fake))) for i in range(len(real))])
    density = np.mean([sum(dist[i, j] < r_real[i] for i in range(len(real))) for j in range(len(fake))]) / k
    coverage = np.mean([dist[i].min() < r_real[i] for i in range(len(real))])
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


def test_prdc_matches_brute_force_and_known_limits():
    real, fake = RNG.normal(size=(40, 3)), RNG.normal(0.5, 1.2, size=(30, 3))
    ours, brute = prdc(real, fake, k=5), brute_force_prdc(real, fake, 5)
    for key in brute:
        assert ours[key] == pytest.approx(brute[key]), key
    same = prdc(real, real + 1e-9, k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    assert 1.0 <= same["density"] <= 1.2  # each point sits in its own ball and its k-1 nearest neighbours'
    twin = prdc(RNG.normal(size=(400, 3)), RNG.normal(size=(400, 3)), k=5)
    assert twin["density"] == pytest.approx(1.0, abs=0.15) and min(twin["precision"], twin["recall"]) > 0.8
    far = prdc(real, real + 100.0, k=5)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_speaker_similarity_separates_speakers(demo_corpus):
    def embed(speaker, utt):
        return speaker_embedding(*load_audio(demo_corpus / speaker / f"harvard_{utt:03d}.wav"))

    same = cosine_similarity(embed("us2_m", 1), embed("us2_m", 2))
    other = cosine_similarity(embed("us2_m", 1), embed("us1_f", 1))
    assert same > other + 0.05, (same, other)
