"""The feature cache (keys, reuse, atomic writes) and bad input handling in the corpus."""

import io
import logging
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import copy_corpus, run_training

from fakevideo.audio.io import load_audio, resample
from fakevideo.audio.world import WorldConfig
from fakevideo.data import features as features_module
from fakevideo.data.faces import FaceDataModule
from fakevideo.data.features import cache_path, extract_corpus
from fakevideo.data.vc import VCDataModule, split_utterances
from fakevideo.errors import ConfigError, InputError

DIO = WorldConfig(f0_method="dio")


def test_cache_key_changes_with_every_feature_setting_and_content(small_corpus, tmp_path):
    wav = small_corpus / "us1_f" / "harvard_001.wav"
    base = cache_path(tmp_path, DIO, wav)
    assert cache_path(tmp_path, WorldConfig(f0_method="dio", sample_rate=22050), wav) != base
    assert cache_path(tmp_path, WorldConfig(f0_method="dio", mcep_dim=40), wav) != base
    assert cache_path(tmp_path, WorldConfig(f0_method="harvest"), wav) != base
    assert cache_path(tmp_path, WorldConfig(f0_method="dio", frame_period=10.0), wav) != base
    audio, rate = sf.read(wav)
    sf.write(wav, audio * 0.5, rate)
    assert cache_path(tmp_path, DIO, wav) != base


def test_cache_key_changes_with_the_feature_recipe(small_corpus, tmp_path, monkeypatch):
    """Features computed by an older recipe (e.g. another resampler) are never read back as current ones."""
    wav = small_corpus / "us1_f" / "harvard_001.wav"
    base = cache_path(tmp_path, DIO, wav)
    monkeypatch.setattr(features_module, "FEATURE_RECIPE", features_module.FEATURE_RECIPE + 1)
    assert cache_path(tmp_path, DIO, wav) != base


@pytest.mark.parametrize("orig_rate", [22050, 44100, 48000])
def test_resampling_keeps_the_speech_band_and_removes_what_cannot_be_represented(orig_rate):
    t = np.arange(orig_rate) / orig_rate  # one second
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    alias = (0.5 * np.sin(2 * np.pi * 10000 * t)).astype(np.float32)  # above 8 kHz: must not fold back
    out = resample(tone + alias, orig_rate, 16000)
    assert out.dtype == np.float32 and len(out) == round(len(t) * 16000 / orig_rate)
    expected = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(len(out)) / 16000)).astype(np.float32)
    middle = slice(800, len(out) - 800)  # away from the filter's edge transients
    error = out[middle] - expected[middle]
    assert 20 * np.log10(np.std(error) / np.std(expected[middle])) < -60
    assert resample(tone, 16000, 16000) is tone


def test_feature_workers_resample_without_importing_torch(tmp_path):
    """Extraction workers load 22.05/44.1 kHz corpora without torch (seconds and ~750 MB per worker)."""
    wav = tmp_path / "x.wav"
    sf.write(wav, np.random.default_rng(0).normal(0, 0.1, 44100).astype(np.float32), 44100)
    probe = (f"import sys; from fakevideo.audio.io import load_audio; from fakevideo.data import features; "
             f"load_audio({str(wav)!r}, 16000); print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_second_extraction_reuses_cache(small_corpus, tmp_path, monkeypatch):
    files = sorted((small_corpus / "us1_f").glob("*.wav"))[:3]
    first = extract_corpus(files, DIO, tmp_path, num_workers=1)
    assert len(first) == 3 and all(p.is_file() for p in first.values())
    monkeypatch.setattr(features_module, "analyze", lambda *a, **k: pytest.fail("re-analysed a cached file"))
    assert extract_corpus(files, DIO, tmp_path, num_workers=1) == first
    assert not list(tmp_path.rglob(".tmp-*"))


def write_bad_files(folder, rate=16000):
    rng = np.random.default_rng(0)
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (folder / "empty.wav").write_bytes(b"")
    sf.write(folder / "silent.wav", np.zeros(rate * 2), rate)
    sf.write(folder / "short.wav", 0.1 * rng.standard_normal(rate // 10), rate)


def test_bad_files_are_skipped_with_one_line_warning_naming_them(small_corpus, tmp_path, caplog):
    folder = small_corpus / "us1_f"
    write_bad_files(folder)
    files = sorted(folder.glob("*.wav"))
    with caplog.at_level(logging.WARNING):
        usable = extract_corpus(files, DIO, tmp_path, num_workers=2)
    names = {p.name for p in usable}
    assert not names & {"corrupt.wav", "empty.wav", "silent.wav", "short.wav"}
    assert len(names) == len(files) - 4
    messages = [r.getMessage() for r in caplog.records]
    for bad, reason in [("corrupt.wav", "cannot read"), ("empty.wav", ""), ("silent.wav", "silent"),
                        ("short.wav", "too short")]:
        line = next(m for m in messages if bad in m)
        assert reason in line and "\n" not in line


def test_stereo_and_odd_rate_files_are_downmixed_and_resampled(small_corpus, tmp_path):
    src = small_corpus / "us1_f" / "harvard_001.wav"
    audio, _ = load_audio(src, 44100)
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.stack([audio, 0.5 * audio], axis=1), 44100, subtype="PCM_U8")
    mono, rate = load_audio(stereo, 16000)
    reference, _ = load_audio(src, 16000)
    assert rate == 16000 and mono.ndim == 1 and abs(len(mono) - len(reference)) <= 2
    assert np.corrcoef(mono[: len(reference)], reference[: len(mono)])[0, 1] > 0.95
    assert len(extract_corpus([stereo], DIO, tmp_path / "cache", num_workers=1)) == 1


def test_speaker_with_too_few_usable_files_is_a_clear_error(small_corpus, tmp_path):
    for wav in sorted((small_corpus / "us2_m").glob("*.wav"))[3:]:
        wav.unlink()
    write_bad_files(small_corpus / "us2_m")
    dm = VCDataModule(str(small_corpus), {"f0_method": "dio"}, cache_dir=str(tmp_path), num_test=2)
    with pytest.raises(InputError, match=r"us2_m: only 3 usable audio files"):
        dm.setup()


def test_unknown_speaker_and_bad_root_are_config_errors(small_corpus, tmp_path):
    with pytest.raises(ConfigError, match="data.speakers"):
        VCDataModule(str(small_corpus), {}, cache_dir=str(tmp_path), speakers=["nobody"]).setup()
    with pytest.raises(ConfigError, match="data.root"):
        VCDataModule(str(tmp_path / "missing"), {}, cache_dir=str(tmp_path)).setup()


def test_parallel_split_shares_test_ids_and_is_seeded():
    ids = {s: [f"u{i:02d}" for i in range(20)] for s in "abc"}
    test, parallel = split_utterances(ids, 4, seed=1)
    assert parallel and len({tuple(v) for v in test.values()}) == 1 and len(test["a"]) == 4
    assert split_utterances(ids, 4, seed=1)[0] == test
    assert split_utterances(ids, 4, seed=2)[0] != test
    disjoint = {"a": ["x1", "x2", "x3"], "b": ["y1", "y2", "y3"]}
    test, parallel = split_utterances(disjoint, 2, seed=0)
    assert not parallel and set(test["a"]) <= {"x1", "x2", "x3"} and len(test["b"]) == 2


def test_statistics_come_from_the_training_split_only(demo_corpus, feature_cache):
    dm = VCDataModule(str(demo_corpus), {"f0_method": "dio"}, cache_dir=str(feature_cache),
                      speakers=["us1_f", "us2_m"], num_test=2, preprocess_workers=2)
    dm.setup()
    assert dm.parallel and dm.describe()["num_speakers"] == 2
    train_mcep = np.concatenate([u.features.mcep for u in dm.train_utts if u.speaker == "us1_f"])
    np.testing.assert_allclose(dm.stats["us1_f"].mcep_mean, train_mcep.mean(0), rtol=1e-5, atol=1e-5)
    test_ids = {u.utt_id for u in dm.test_utts}
    assert len(test_ids) == 2 and not test_ids & {u.utt_id for u in dm.train_utts}
    batch = next(iter(dm.train_dataloader()))
    assert batch["mcep"].shape == (dm.batch_size, 36, dm.crop_frames)
    f0_female = dm.stats["us1_f"].logf0.mean
    assert np.exp(f0_female) > np.exp(dm.stats["us2_m"].logf0.mean) * 1.3


def test_validation_holds_out_its_own_utterances_never_the_test_split(demo_corpus, feature_cache):
    """The best checkpoint is chosen on validation: if validation read test utterances, every reported test number
    would be selected on (part of) the test set."""
    dm = VCDataModule(str(demo_corpus), {"f0_method": "dio"}, cache_dir=str(feature_cache),
                      speakers=["us1_f", "us2_m"], num_test=2, val_per_speaker=2, preprocess_workers=2)
    dm.setup()
    ids = {name: {u.utt_id for u in getattr(dm, f"{name}_utts")} for name in ("train", "val", "test")}
    assert len(ids["val"]) == 2 and not ids["val"] & ids["test"] and not ids["val"] & ids["train"]
    items = dm.validation_items()
    assert {item["utt_id"] for item in items} == ids["val"] and len(items) == 4
    assert all(item["target_mcep"] is not None for item in items)  # parallel: same sentence of the other speaker
    assert dm.describe()["val_ids"] == sorted(ids["val"])


def test_two_processes_filling_one_cache_leave_one_correct_cache(small_corpus, tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    files = sorted((small_corpus / "us1_f").glob("*.wav"))[:6]
    script = ("import sys; from pathlib import Path; from fakevideo.audio.world import WorldConfig; "
              "from fakevideo.data.features import extract_corpus; "
              "extract_corpus([Path(p) for p in sys.argv[2:]], WorldConfig(f0_method='dio'), sys.argv[1], 1)")
    jobs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), *map(str, files)], cwd=REPO)
            for _ in range(2)]
    assert [job.wait(timeout=300) for job in jobs] == [0, 0]
    cached = extract_corpus(files, DIO, tmp_path, num_workers=1)
    assert len(cached) == 6 and not list(tmp_path.rglob(".tmp-*"))
    reference = features_module.analyze(load_audio(files[0], 16000)[0], DIO)
    np.testing.assert_array_equal(features_module.load_features(cached[files[0]]).mcep, reference.mcep)


@pytest.mark.parametrize("sizes,message", [
    ({"batch_size": 0}, "data.batch_size=0: must be a positive integer"),
    ({"batch_size": -1}, "data.batch_size=-1: must be a positive integer"),
    ({"samples_per_epoch": 3, "batch_size": 4}, "data.samples_per_epoch=3: less than one batch of data.batch_size=4")])
def test_impossible_loader_sizes_are_config_errors(tmp_path, sizes, message):
    with pytest.raises(ConfigError, match=f"^{message}$"):
        VCDataModule(None, {}, cache_dir=str(tmp_path), **sizes)
    with pytest.raises(ConfigError, match=f"^{message}$"):
        FaceDataModule(cache_dir=str(tmp_path), **sizes)
    with pytest.raises(ConfigError, match="^data.crop_frames=0: must be a positive integer$"):
        VCDataModule(None, {}, cache_dir=str(tmp_path), crop_frames=0)


def test_a_damaged_cache_entry_is_recomputed_with_a_warning_naming_it(demo_corpus, tmp_path, caplog):
    corpus = copy_corpus(demo_corpus, tmp_path / "corpus", ("us1_f", "us2_m"), utterances=5)
    settings = dict(root=str(corpus), features={"f0_method": "dio"}, cache_dir=str(tmp_path / "cache"), num_test=2,
                    preprocess_workers=1)
    VCDataModule(**settings).setup()
    entries = sorted((tmp_path / "cache").rglob("*.npz"))
    good = {path: path.read_bytes() for path in entries}
    truncated, text = entries[0], entries[1]
    truncated.write_bytes(good[truncated][: len(good[truncated]) // 2])
    text.write_text("not features")
    with caplog.at_level(logging.WARNING):
        dm = VCDataModule(**settings)
        dm.setup()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "damaged" in r.getMessage()]
    assert sorted(w.split(": damaged feature cache entry")[0] for w in warnings) == sorted([str(truncated), str(text)])
    assert not any("\n" in w for w in warnings)
    assert len(dm.train_utts) + len(dm.val_utts) + len(dm.test_utts) == 10
    for path in (truncated, text):  # recomputed in place: the same features as before the damage
        np.testing.assert_array_equal(features_module.load_features(path).mcep,
                                      np.load(io.BytesIO(good[path]))["mcep"])


def test_each_skipped_file_is_reported_once_per_training_run(small_corpus, feature_cache, tmp_path, caplog):
    write_bad_files(small_corpus / "us1_f")
    with caplog.at_level(logging.WARNING):
        run_training(tmp_path / "run", small_corpus, feature_cache, "iterations=1", "validate_every=100",
                     "evaluation.at_end=false")
    skips = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert sorted(skips) == sorted(set(skips)) and len(skips) == 4, skips
