"""Test-split evaluation, evaluate.py, multirun sweeps with per-job metrics, and the sweep report."""

import csv
import json
import subprocess
import sys

import pytest
from conftest import REPO, copy_corpus

pytestmark = pytest.mark.filterwarnings("ignore")


def run(*args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_training_ends_with_test_split_metrics(trained_stargan):
    result = json.loads((trained_stargan / "eval" / "metrics.json").read_text())
    assert result["parallel"] and len(result["pairs"]) == 3 * 2
    for pair in result["pairs"].values():
        assert pair["utterances"] == 2
        assert 0 < pair["mcd"] < 40 and pair["mcd_ci95"] >= 0
        assert 0 <= pair["vuv_error"] <= 1 and pair["f0_rmse"] >= 0
        assert {"precision", "recall", "density", "coverage", "msd"} <= set(pair)
        assert -1 <= pair["speaker_similarity_target"] <= 1
        assert pair["bursts_per_minute"] >= 0 and pair["peak_over_speech_db"] > 0
    assert "per-frame MCEPs" in result["embedding"] and "median speech frame" in result["burst_note"]
    with open(trained_stargan / "eval" / "per_utterance.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12 and {r["source"] for r in rows} == {"us1_f", "us2_m", "en1_m"}
    assert all(float(r["peak_over_speech_db"]) > 0 for r in rows)
    table = (trained_stargan / "eval" / "pairs.md").read_text()
    assert table.count("->") == 6 and "± " in table
    assert table.splitlines()[0].startswith("| pair | mcd | mcd_c1_4 | mcd_c5_12 | mcd_c13_up | bursts_per_minute |")
    logged = (trained_stargan / "csv" / "metrics.csv").read_text().splitlines()[0]
    assert "test/mcd" in logged


def test_best_checkpoint_is_kept_by_the_optimized_metric(trained_stargan):
    assert (trained_stargan / "checkpoints" / "best.ckpt").is_file()


def test_evaluate_command(trained_stargan, tmp_path):
    result = run("evaluate.py", f"ckpt={trained_stargan / 'checkpoints' / 'last.ckpt'}", f"out={tmp_path}",
                 "speaker_similarity=false")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "us1_f->us2_m" in result.stdout and (tmp_path / "metrics.json").is_file()


def test_sample_rate_sweep_and_report_contract(demo_corpus, tmp_path):
    corpus = copy_corpus(demo_corpus, tmp_path / "corpus", ("us1_f", "us2_m"))
    sweep = tmp_path / "sweep"
    result = run("train.py", "-m", "model=stargan_vc", f"data.root={corpus}", "iterations=2",
                 "data.sample_rate=16000,22050", f"hydra.sweep.dir={sweep}", "size=tiny", "data.num_test=2",
                 "data.features.f0_method=dio", f"data.cache_dir={tmp_path / 'cache'}",
                 "evaluation.speaker_similarity=false", "trainer.enable_progress_bar=false")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = sorted(p.parent.parent for p in sweep.rglob("eval/metrics.json"))
    assert len(jobs) == 2 and jobs[0] != jobs[1]
    rates = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert rates[0].startswith("sr16000_") and rates[1].startswith("sr22050_") and "mcep34" in rates[1]
    report = run("-m", "fakevideo.report", str(sweep))
    assert report.returncode == 0, report.stderr[-2000:]
    lines = [line for line in report.stdout.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert "data.sample_rate" in header and "mcd" in header and "vs_baseline_meanvar" in header
    assert header.index("peak_over_speech_db") == header.index("mcd_ci95") + 1 and "bursts_per_minute" in header
    assert "gflop_per_iteration" in header
    references = [line for line in lines if line.startswith("| reference: ")]
    assert len(references) == 3 * 2  # the source and the two baselines, at each sample rate
    lines = [line for line in lines if line not in references]
    assert len(lines) == 2 + 2
    assert {line.split("|")[header.index("data.sample_rate") + 1].strip() for line in lines[2:]} == {"16000", "22050"}
    out = sweep / "report"
    assert (out / "report.csv").is_file() and (out / "report.md").is_file()
    assert (out / "loss_curves.png").is_file() and (out / "mcd_vs_axes.png").is_file()


def test_two_job_sweep_through_the_submitit_local_launcher(demo_corpus, tmp_path):
    corpus = copy_corpus(demo_corpus, tmp_path / "corpus", ("us2_m", "en1_m"))
    sweep = tmp_path / "sweep"
    result = run("train.py", "-m", "hydra/launcher=submitit_local_cpu", f"data.root={corpus}", "iterations=2",
                 "data.batch_size=2,4", f"hydra.sweep.dir={sweep}", "size=tiny", "data.num_test=2",
                 "data.features.f0_method=dio", f"data.cache_dir={tmp_path / 'cache'}",
                 "evaluation.speaker_similarity=false", "trainer.enable_progress_bar=false")
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(sweep.glob(".submitit/*")), "the jobs did not go through Submitit"
    assert len(list(sweep.rglob("eval/metrics.json"))) == 2
    report = run("-m", "fakevideo.report", str(sweep))
    assert report.returncode == 0 and report.stdout.count("| data.batch_size=") == 2, report.stdout
