"""Audio watermark on real espeak-ng speech: survives resampling and 16-bit files, absent elsewhere."""

import subprocess

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF
from conftest import run_provenance_check as run_check

from fakevideo.audio.world import WorldConfig, analyze
from fakevideo.errors import InputError
from fakevideo.metrics.mcd import mel_cepstral_distortion, speech_frames
from fakevideo.provenance.audio_watermark import detect_audio_watermark, embed_audio_watermark
from fakevideo.provenance.label import ProvenanceLabel
from fakevideo.provenance.spread import DETECTION_THRESHOLD
from fakevideo.provenance.wav import read_wav, write_wav

VOICES = ("mb-us1", "mb-us2", "mb-us3", "mb-en1")
TEXT = "Provenance labels keep synthetic speech honest. The quick brown fox jumps over the lazy dog."


def audio_snr_db(original: np.ndarray, marked: np.ndarray) -> float:
    """What the mark costs as a signal-to-noise ratio in dB, `marked - original` being the noise."""
    noise = np.asarray(marked, dtype=np.float64) - original
    return float(10.0 * np.log10(np.sum(np.square(original, dtype=np.float64)) / np.sum(noise**2)))


def audio_mcd_db(original: np.ndarray, marked: np.ndarray, sample_rate: int) -> float:
    """What the mark costs in MCD over the original's speech frames; the two are sample-aligned, so frames are
    compared one to one (no DTW), which isolates the mark's cost."""
    cfg = WorldConfig(sample_rate=sample_rate, f0_method="dio")
    clean, noisy = analyze(original, cfg).mcep, analyze(marked, cfg).mcep
    speech = np.flatnonzero(speech_frames(clean))
    return mel_cepstral_distortion(clean, noisy, alignment=(speech, speech))


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> dict[str, np.ndarray]:
    """About five seconds of 16 kHz speech per MBROLA voice."""
    out = {}
    for voice in VOICES:
        path = tmp_path_factory.mktemp("speech") / f"{voice}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), TEXT], check=True, capture_output=True)
        audio, rate = sf.read(path)
        assert rate == 16000 and len(audio) > 3 * rate
        out[voice] = audio
    return out


def round_trip_22k(audio: np.ndarray) -> np.ndarray:
    """16 kHz -> 22.05 kHz -> 16 kHz with torchaudio, then 16-bit quantisation."""
    wave = torch.from_numpy(audio)
    back = AF.resample(AF.resample(wave, 16000, 22050), 22050, 16000).numpy()
    return np.round(np.clip(back, -1, 1) * 32767) / 32767


@pytest.mark.parametrize("voice", VOICES)
def test_watermark_survives_resampling_and_is_absent_in_original(speech, voice):
    original = speech[voice]
    marked = embed_audio_watermark(original, 16000)
    assert detect_audio_watermark(round_trip_22k(marked), 16000).detected
    assert not detect_audio_watermark(round_trip_22k(original), 16000).detected
    assert not detect_audio_watermark(original, 16000).detected
    assert not detect_audio_watermark(marked, 16000, key="someone-else").detected


@pytest.mark.parametrize("voice", VOICES)
def test_watermark_costs_well_under_a_db_of_mcd(speech, voice):
    original = speech[voice]
    marked = embed_audio_watermark(original, 16000)
    assert audio_mcd_db(original, marked, 16000) < 0.8  # measured 0.57-0.72 dB; the full-band RMS mark cost 3-7
    assert audio_snr_db(original, marked) > 25.0  # the mark sits in 2-7 kHz, where speech has little energy
    louder = embed_audio_watermark(original, 16000, strength_db=-10.0)
    assert audio_mcd_db(original, louder, 16000) > audio_mcd_db(original, marked, 16000)


def test_mark_is_shaped_like_the_signal_spectrum(speech):
    """Relative to the signal, the mark has the same level in a loud band and in a quiet one (within 3 dB)."""
    original = speech["mb-us2"]
    mark = embed_audio_watermark(original, 16000) - original
    spectrum, mark_spectrum = (np.abs(np.fft.rfft(x)) ** 2 for x in (original, mark))
    freqs = np.fft.rfftfreq(len(original), 1 / 16000)
    ratios_db = [
        10 * np.log10(mark_spectrum[(freqs >= lo) & (freqs < hi)].sum() / spectrum[(freqs >= lo) & (freqs < hi)].sum())
        for lo, hi in ((2000, 3000), (5000, 7000))
    ]
    assert abs(ratios_db[0] - ratios_db[1]) < 3.0 and -20.0 < ratios_db[0] < -14.0
    below_band = freqs < 1500
    assert mark_spectrum[below_band].sum() < 1e-4 * spectrum[below_band].sum()


def test_watermark_survives_cropping_by_an_odd_offset(speech):
    marked = embed_audio_watermark(speech["mb-us1"], 16000)
    cropped = marked[1234 : len(marked) - 777]
    assert detect_audio_watermark(cropped, 16000).detected


def test_watermark_written_at_22k_is_found_at_16k(speech, tmp_path):
    audio22 = AF.resample(torch.from_numpy(speech["mb-us2"]), 16000, 22050).numpy()
    path = tmp_path / "x22.wav"
    write_wav(path, audio22, 22050, ProvenanceLabel("cyclegan_vc2"))
    read, rate = read_wav(path)
    assert rate == 22050 and detect_audio_watermark(read, rate).detected
    down = AF.resample(torch.from_numpy(read), 22050, 16000).numpy()
    assert detect_audio_watermark(down, 16000).detected


def test_watermark_in_each_channel_of_stereo(speech):
    stereo = np.stack([speech["mb-us1"], 0.5 * speech["mb-us1"]], axis=1)
    marked = embed_audio_watermark(stereo, 16000)
    assert marked.shape == stereo.shape
    assert detect_audio_watermark(marked[:, 1], 16000).detected
    assert detect_audio_watermark(marked, 16000).detected


def test_silence_gets_no_watermark_and_low_rates_are_refused():
    silence = np.zeros(16000)
    assert np.array_equal(embed_audio_watermark(silence, 16000), silence)
    assert detect_audio_watermark(silence, 16000).score == 0.0
    blip = np.ones(100)  # shorter than one analysis window: left as it is
    assert np.array_equal(embed_audio_watermark(blip, 16000), blip)
    with pytest.raises(InputError, match="8000 Hz"):
        embed_audio_watermark(np.ones(800), 8000)


def test_detection_threshold_controls_false_alarms_on_noise():
    rng = np.random.default_rng(5)
    scores = [detect_audio_watermark(rng.standard_normal(48000), 16000).score for _ in range(20)]
    assert max(scores) < DETECTION_THRESHOLD


def test_cli_check_on_wav_files(speech, tmp_path):
    label = ProvenanceLabel("stargan_vc2")
    marked = tmp_path / "converted.wav"
    write_wav(marked, speech["mb-us3"], 16000, label)
    run = run_check(marked)
    assert run.returncode == 0, run.stderr
    assert label.to_json() in run.stdout and "watermark: present" in run.stdout

    stripped = tmp_path / "stripped.wav"  # label removed, watermark still in the samples
    sf.write(stripped, sf.read(marked)[0], 16000)
    run = run_check(stripped)
    assert run.returncode == 0 and "no label" in run.stdout and "watermark: present" in run.stdout

    real = tmp_path / "real.wav"
    sf.write(real, speech["mb-us3"], 16000)
    run = run_check(real)
    assert run.returncode == 1 and "no label" in run.stdout and "watermark: absent" in run.stdout
