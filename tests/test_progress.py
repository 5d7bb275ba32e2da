"""Progress in generator iterations, the plain log lines written when the output is not a terminal, the closing
summary, and the silencing of known third-party noise (and only of it)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakevideo.quiet import silence_known_noise
from fakevideo.tasks import vc
from fakevideo.training.progress import IterationProgress, format_duration
from fakevideo.training.summary import run_summary


def test_durations_read_as_a_person_writes_them():
    assert [format_duration(s) for s in (12, 245, 3720)] == ["12s", "4m05s", "1h02m"]


def test_status_line_counts_iterations_with_rate_eta_losses_and_validation(monkeypatch):
    clock = iter([100.0, 110.0])
    monkeypatch.setattr("fakevideo.training.progress.time.monotonic", lambda: next(clock))
    progress = IterationProgress(interactive=False)
    module = SimpleNamespace(iteration=0, iterations=100)
    trainer = SimpleNamespace(callback_metrics={"train/g_adv": 0.5, "train/g_total": 13.81, "lr/g": 1e-4,
                                                "val/mcd": 9.87}, is_global_zero=True)
    progress.on_train_start(trainer, module)
    module.iteration = 25
    line = progress.status_line(trainer, module)
    assert line.startswith("iteration 25/100 (25%) 2.50 it/s ETA 30s")
    assert line.index("g_total=13.8") < line.index("g_adv=0.5") and "val/mcd=9.87" in line and "lr/" not in line


def test_plain_lines_are_written_at_most_every_interval(monkeypatch, caplog):
    now = [0.0]
    monkeypatch.setattr("fakevideo.training.progress.time.monotonic", lambda: now[0])
    progress = IterationProgress(log_every_s=60, interactive=False)
    module = SimpleNamespace(iteration=0, iterations=1000)
    trainer = SimpleNamespace(callback_metrics={}, is_global_zero=True, sanity_checking=False)
    progress.on_train_start(trainer, module)
    with caplog.at_level(logging.INFO, logger="fakevideo.training.progress"):
        for second in range(1, 181):  # one iteration a second for three minutes
            now[0], module.iteration = float(second), second
            progress.on_train_batch_end(trainer, module)
        progress.on_validation_end(trainer, module)  # and one line after each validation
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(" (")[0] for line in lines] == ["iteration 60/1000", "iteration 120/1000",
                                                        "iteration 180/1000", "iteration 180/1000"]


def test_summary_names_the_files_and_the_headline_against_references(tmp_path: Path):
    evaluation = {"overall": {"mcd": 9.123, "speaker_similarity_target": 0.71, "speaker_similarity_source": 0.64},
                  "references": {"baseline_meanvar": {"mcd": 10.5, "speaker_similarity_target": 0.6}},
                  "versus": {"baseline_meanvar": {"mcd": {"difference": -1.377, "ci95": 0.42, "verdict": "better"}}},
                  "evaluated": "best.ckpt (best by val/mcd)"}
    text = run_summary(tmp_path, (str(tmp_path / "best.ckpt"), "val/mcd", 8.5), evaluation)
    assert f"run finished: {tmp_path}" in text and "best by val/mcd (8.5)" in text
    assert "test split: MCD 9.12 dB, speaker similarity to target 0.710, to source 0.640" in text
    assert "baseline_meanvar: MCD 10.50 dB, speaker similarity to target 0.600; model MCD -1.38 ± 0.42 dB against " \
           "it: better" in text
    assert "evaluated: best.ckpt (best by val/mcd)" in text
    assert "training did not improve on its start" not in text  # nothing said of the iteration: no note


@pytest.mark.parametrize(("evaluated", "noted"), [(25, True), (100, True), (101, False), (1000, False)])
def test_summary_notes_a_best_checkpoint_from_the_start_of_training(tmp_path: Path, evaluated, noted):
    """A run whose best weights come from its first tenth says so: its numbers are of its start, not of training."""
    evaluation = {"overall": {"mcd": 9.0}, "evaluated_iteration": evaluated, "iterations_trained": 1000}
    text = run_summary(tmp_path, None, evaluation)
    assert (f"from iteration {evaluated} of 1000" in text) == noted


@pytest.mark.parametrize("message", ["`isinstance(treespec, LeafSpec)` is deprecated, use ...",
                                     "pkg_resources is deprecated as an API. See ..."])
def test_known_third_party_warnings_are_silenced_and_others_kept(message):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_known_noise()
        warnings.warn(message, DeprecationWarning, stacklevel=1)
        warnings.warn("something fakevideo users must see", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something fakevideo users must see"]


def test_lightning_advertisement_is_dropped_but_its_information_kept(caplog):
    silence_known_noise()
    logger = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("💡 Tip: For seamless cloud logging ... try installing [litlogger]")
        logger.info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]


def test_our_warnings_print_as_one_line_and_others_keep_their_format():
    silence_known_noise()
    ours = warnings.formatwarning("converted speech stays closer to the source", UserWarning,
                                  str(Path(vc.__file__)), 150, "    rank_zero_warn(closeness_warning(...))")
    assert ours == "warning: converted speech stays closer to the source (vc.py:150)\n"
    theirs = warnings.formatwarning("deprecated", FutureWarning, "/site-packages/lib/x.py", 3, "call()")
    assert theirs.startswith("/site-packages/lib/x.py:3: FutureWarning: deprecated") and "call()" in theirs
