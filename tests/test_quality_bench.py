"""bench/quality.py's report: the per-direction bar (MCD, utterances closer to the target) is counted from each run's
per-utterance evaluation, and the command line refuses what it cannot run."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def quality(bench_module):
    return bench_module("quality")


def write_evaluation(folder: Path, rows: list[tuple[str, str, float, float, float]]) -> Path:
    """An evaluation folder's per_utterance.csv: (source, target, mcd, similarity to target, to source) rows."""
    folder.mkdir(parents=True)
    with open(folder / "per_utterance.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "target", "mcd", "speaker_similarity_target", "speaker_similarity_source"])
        writer.writerows(rows)
    return folder


def test_directions_count_utterances_closer_to_the_target_per_direction(quality, tmp_path):
    folder = write_evaluation(tmp_path / "eval", [
        ("m", "f", 10.0, 0.9, 0.5), ("m", "f", 12.0, 0.4, 0.6),   # one closer to the target, one to the source
        ("f", "m", 14.0, 0.8, 0.7), ("f", "m", 16.0, 0.8, 0.8),   # a tie is not closer
    ])
    per_direction = quality.directions(folder)
    assert per_direction == {"f->m": {"mcd": 15.0, "closer": 1, "utterances": 2},
                             "m->f": {"mcd": 11.0, "closer": 1, "utterances": 2}}
    assert quality.closer_count(per_direction) == "2/4"


def test_the_per_direction_table_shows_each_direction(quality, tmp_path):
    per_direction = quality.directions(write_evaluation(tmp_path / "eval", [
        ("m", "f", 10.0, 0.9, 0.5), ("f", "m", 14.0, 0.4, 0.7)]))
    row = {"model": "cyclegan_vc2", "mcd": 12.0, "f0_rmse": 90.0, "speaker_similarity_target": 0.8,
           "speaker_similarity_source": 0.6, "closer": quality.closer_count(per_direction),
           "directions": per_direction, "iterations": 10, "beaten_at": None, "versus": {}, "parameters": 5,
           "gflop": 1.0, "weights": "last", "bursts_per_minute": 2.5, "peak_over_speech_db": 18.04}
    args = argparse.Namespace(voices={"m": "en+m1", "f": "en+f1"}, train=30, test=10, size="cpu", f0_method="dio",
                              minutes=6.0, cpu=True, threads=1)
    text = quality.table([row], args)
    assert "| cyclegan_vc2 | 14.00, 0/1 | 10.00, 1/1 |" in text
    assert "| 1/2 | 2.5 (18.0) | never |" in text and "the final weights" in text


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_whole_number(quality, jobs):
    with pytest.raises(argparse.ArgumentTypeError, match="at least 1"):
        quality.positive_int(jobs)


@pytest.mark.parametrize(("evaluated", "shown"), [(None, "900"), (900, "900"), (25, "900 (25)")])
def test_the_iterations_column_says_when_the_evaluated_weights_are_earlier(quality, evaluated, shown):
    assert quality.iterations({"iterations": 900, "evaluated_at": evaluated}) == shown


def test_a_refused_run_is_reported_with_its_log(quality, tmp_path, monkeypatch):
    """A train.py that stops before making its run folder (e.g. an unknown override) is a one-line error naming the
    log, not a FileNotFoundError from writing it."""
    refused = subprocess.CompletedProcess([], 1, stdout="", stderr="Could not override 'model.generator.norm'\n")
    monkeypatch.setattr(quality.subprocess, "run", lambda *args, **kwargs: refused)
    args = argparse.Namespace(out=tmp_path, f0_method="dio", test=10, val_per_speaker=3, size="cpu", cpu=True,
                              minutes=1.0, iterations=10, validate_every=5, overrides=[], threads=1)
    run_dir = tmp_path / "runs" / "stargan_vc"
    with pytest.raises(SystemExit, match="stargan_vc: train.py failed \\(exit 1\\); see .*bench.log"):
        quality.train("stargan_vc", tmp_path / "corpus", run_dir, args)
    assert "Could not override" in (run_dir / "bench.log").read_text()


def test_reference_rows_hold_the_unconverted_source_and_compare_it_with_both_baselines(quality, tmp_path):
    """The source row is the issue's 'unconverted source as a reference row': its own numbers and bursts from the
    model run's evaluation, and its MCD paired against baseline_meanvar and baseline_smooth utterance by utterance."""
    references = tmp_path / "run" / "eval" / "references"
    mcds = {"source": [16.0, 18.0, 15.0, 17.0], "baseline_meanvar": [14.0, 15.0, 13.0, 14.0],
            "baseline_smooth": [12.0, 13.0, 11.5, 12.5]}
    for name, values in mcds.items():
        folder = references / name
        folder.mkdir(parents=True)
        with open(folder / "per_utterance.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["source", "target", "utterance", "mcd", "speaker_similarity_target",
                             "speaker_similarity_source"])
            pairs = [("m", "f"), ("m", "f"), ("f", "m"), ("f", "m")]
            for index, (mcd, pair) in enumerate(zip(values, pairs, strict=True)):
                closer = name != "source"  # the unconverted speech is its own speaker
                writer.writerow([*pair, f"u{index}", mcd, 0.8 if closer else 0.6, 0.6 if closer else 0.9])
        overall = {"mcd": sum(values) / 4, "f0_rmse": 50.0, "speaker_similarity_target": 0.7,
                   "speaker_similarity_source": 0.8, "bursts_per_minute": 3.0 if name == "source" else 0.0,
                   "peak_over_speech_db": 14.0}
        (folder / "metrics.json").write_text(json.dumps({"overall": overall}))
    source = quality.reference_row(tmp_path / "run", quality.SOURCE)
    assert source["model"] == "source" and source["closer"] == "0/4" and source["bursts_per_minute"] == 3.0
    assert source["versus"]["baseline_meanvar"]["mcd"]["difference"] == pytest.approx(2.5)
    assert source["versus"]["baseline_smooth"]["mcd"]["difference"] == pytest.approx(4.25)
    smooth = quality.reference_row(tmp_path / "run", "baseline_smooth")
    assert list(smooth["versus"]) == ["baseline_meanvar"] and smooth["closer"] == "4/4"
    assert smooth["versus"]["baseline_meanvar"]["mcd"]["difference"] == pytest.approx(-1.75)
    assert quality.beaten(source) == "-" and quality.iterations(smooth) == "0"
