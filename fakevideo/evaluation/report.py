"""Collect a multirun sweep into the paper-style ablation table and plots.

    python -m fakevideo.report SWEEP_DIR

Every job directory under SWEEP_DIR (it has `.hydra/overrides.yaml`) contributes one row: the values of the
swept keys (overrides that differ between jobs) and its test-split metrics (`eval/metrics.json`, written at the
end of training; the last logged validation values otherwise). Writes `report.md`, `report.csv` and PNG plots
(metric vs each swept axis, loss curves of all jobs overlaid, the data-length histograms) under SWEEP_DIR/report,
with each job's latest validation figures (`samples/iter_*/*.png`: spectral envelopes and F0 of source, converted
and real target speech for voice runs, source / driving / output / target grids with landmarks for face runs: the
figures the dashboards show) under SWEEP_DIR/report/samples/JOB and shown in `report.md`.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import numpy as np
import yaml
from matplotlib.figure import Figure

from fakevideo.errors import InputError, exit_on_user_error
from fakevideo.evaluation.references import verdicts
from fakevideo.training.cost import read_cost

PREFERRED_METRICS = ("mcd", "mcd_ci95", "peak_over_speech_db", "bursts_per_minute", "f0_rmse", "f0_corr",
                     "vuv_error", "msd", "precision", "recall", "density", "coverage", "speaker_similarity_target",
                     "speaker_similarity_source")
CURVES = ("train/g_total", "train/g_cycle", "train/d_total", "val/mcd")
COST_COLUMNS = ("generator_parameters", "gflop_per_iteration")


def read_overrides(job: Path) -> dict[str, str]:
    items = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()) or []
    return dict(item.lstrip("+~").split("=", 1) for item in items if "=" in item)


def read_curves(job: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Logged series (step, value) from the job's csv/metrics.csv."""
    path = job / "csv" / "metrics.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    curves = {}
    for key in rows[0].keys() if rows else ():
        points = [(float(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
        if points and key not in ("step", "epoch"):
            steps, values = zip(*points, strict=True)
            curves[key] = (np.array(steps), np.array(values))
    return curves


def read_metrics(job: Path) -> dict[str, float]:
    """Test-split metrics of a job; falls back to the last validation values it logged."""
    path = job / "eval" / "metrics.json"
    if path.is_file():
        return json.loads(path.read_text())["overall"]
    return {key.removeprefix("val/"): float(values[-1]) for key, (_, values) in read_curves(job).items()
            if key.startswith("val/")}


def read_comparisons(job: Path) -> tuple[dict[str, str], dict[str, dict[str, float]]]:
    """The job's verdicts against the references (e.g. vs_baseline_meanvar: "mcd better, sim tie") and the
    references' own overall metrics, from its test-split evaluation."""
    path = job / "eval" / "metrics.json"
    result = json.loads(path.read_text()) if path.is_file() else {}
    return verdicts(result), result.get("references", {})


def reference_rows(references: list[dict[str, dict[str, float]]], jobs: list[str]) -> list[dict]:
    """One row per reference (unconverted source, baseline), or one per job when the jobs' data differ."""
    rows, seen = [], []
    for job, job_references in zip(jobs, references, strict=True):
        for name, overall in job_references.items():
            if (name, overall) not in seen:
                seen.append((name, overall))
                rows.append({"job": f"reference: {name}", "reference_for": job, **overall})
    if len({row["job"] for row in rows}) == len(rows):  # the same data in every job: one row per reference
        rows = [{k: v for k, v in row.items() if k != "reference_for"} for row in rows]
    return rows


def iteration_dirs(run_dir: Path) -> list[Path]:
    """The run's `samples/iter_*` folders (one per validation), oldest first."""
    return sorted(p for p in (run_dir / "samples").glob("iter_*") if p.is_dir())


def copy_sample_figures(sweep_dir: Path, jobs: list[str], out: Path) -> dict[str, list[Path]]:
    """Each job's figures of its latest validation, copied to `out/<job>/`; by job, paths relative to `out`'s
    parent (jobs without samples are left out)."""
    copied = {}
    for job in jobs:
        folders = iteration_dirs(sweep_dir / job)
        figures = sorted(folders[-1].glob("*.png")) if folders else []
        if figures:
            (out / job).mkdir(parents=True, exist_ok=True)
            copied[f"{job} ({folders[-1].name})"] = [
                Path(shutil.copy(figure, out / job / figure.name)).relative_to(out.parent) for figure in figures]
    return copied


def samples_section(figures: dict[str, list[Path]]) -> str:
    """Markdown that shows each job's sample figures."""
    lines = ["## Validation samples (latest iteration of each job)", ""]
    for job, paths in figures.items():
        lines += [f"### {job}", "", *(f"![{path.stem}](<{path.as_posix()}>)" for path in paths), ""]
    return "\n".join(lines)


def find_jobs(sweep_dir: Path) -> list[Path]:
    jobs = sorted(p.parent.parent for p in sweep_dir.rglob(".hydra/overrides.yaml"))
    if not jobs:
        raise InputError(f"{sweep_dir}: no job directories (with .hydra/overrides.yaml) found")
    return jobs


def collect(sweep_dir: Path) -> tuple[list[str], list[str], list[dict]]:
    """(swept keys, metric names, one row per job)."""
    jobs = find_jobs(sweep_dir)
    overrides = [read_overrides(job) for job in jobs]
    all_keys = sorted({k for o in overrides for k in o})
    swept = [k for k in all_keys if len({o.get(k) for o in overrides}) > 1] or all_keys
    rows, references = [], []
    for job, job_overrides in zip(jobs, overrides, strict=True):
        job_verdicts, job_references = read_comparisons(job)
        cost = {k: v for k, v in read_cost(job).items() if k in COST_COLUMNS}
        rows.append({"job": str(job.relative_to(sweep_dir)), **{k: job_overrides.get(k, "") for k in swept},
                     **read_metrics(job), **job_verdicts, **cost})
        references.append(job_references)
    rows += reference_rows(references, [row["job"] for row in rows])
    present = {k for row in rows for k in row}
    metrics = [m for m in PREFERRED_METRICS if m in present]
    metrics += sorted(present - set(metrics) - set(swept) - {"job"})
    return swept, metrics, rows


def markdown_table(swept: list[str], metrics: list[str], rows: list[dict]) -> str:
    header = ["job", *swept, *metrics]
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(row.get(k, "")) for k in header) + " |" for row in rows]
    return "\n".join(lines)


def _axis_values(values: list[str]) -> tuple[np.ndarray | list[str], bool]:
    try:
        return np.array([float(v) for v in values]), True
    except ValueError:
        return values, False


def plot_metric_vs_axes(swept: list[str], metrics: list[str], rows: list[dict], out: Path) -> list[Path]:
    written = []
    numeric = [m for m in metrics if all(isinstance(row[m], float | int) for row in rows if m in row)]
    for metric in numeric[:4]:
        figure = Figure(figsize=(4.5 * len(swept), 3.5), tight_layout=True)
        for index, key in enumerate(swept, start=1):
            axis = figure.add_subplot(1, len(swept), index)
            points = [(row[key], row[metric]) for row in rows if metric in row and key in row]  # not references
            xs, numeric = _axis_values([p[0] for p in points])
            ys = [p[1] for p in points]
            if numeric:
                axis.plot(xs, ys, "o")
            else:
                axis.bar(range(len(xs)), ys, tick_label=xs)
            axis.set(xlabel=key, ylabel=metric, title=f"{metric} vs {key}")
        path = out / f"{metric.replace('/', '_')}_vs_axes.png"
        figure.savefig(path, dpi=100)
        written.append(path)
    return written


def plot_curves(sweep_dir: Path, rows: list[dict], out: Path) -> Path:
    figure = Figure(figsize=(4.5 * len(CURVES), 3.5), tight_layout=True)
    for index, key in enumerate(CURVES, start=1):
        axis = figure.add_subplot(1, len(CURVES), index)
        for row in rows:
            curves = read_curves(sweep_dir / row["job"])
            if key in curves:
                axis.plot(*curves[key], label=row["job"], linewidth=1)
        axis.set(title=key, xlabel="step")
        if index == 1 and axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=6)
    path = out / "loss_curves.png"
    figure.savefig(path, dpi=100)
    return path


def write_report(sweep_dir: str | Path) -> str:
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise InputError(f"{sweep_dir}: no such sweep directory")
    swept, metrics, rows = collect(sweep_dir)
    out = sweep_dir / "report"
    out.mkdir(exist_ok=True)
    table = markdown_table(swept, metrics, rows)
    jobs = [str(job.relative_to(sweep_dir)) for job in find_jobs(sweep_dir)]
    figures = copy_sample_figures(sweep_dir, jobs, out / "samples")
    samples = f"\n{samples_section(figures)}" if figures else ""
    (out / "report.md").write_text(f"# Sweep report: {sweep_dir.name}\n\n{table}\n{samples}")
    with open(out / "report.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["job", *swept, *metrics])
        writer.writeheader()
        writer.writerows(rows)
    if metrics:
        plot_metric_vs_axes(swept, metrics, rows, out)
    plot_curves(sweep_dir, rows, out)
    histogram = next(iter(sorted(sweep_dir.rglob("data_lengths.png"))), None)
    if histogram is not None:
        shutil.copy(histogram, out / "data_lengths.png")
    return table


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ablation table and plots of a multirun sweep directory.")
    parser.add_argument("sweep_dir", type=Path)
    args = parser.parse_args(argv)
    print(write_report(args.sweep_dir))
    print(f"\nwrote {args.sweep_dir / 'report'}/report.md, report.csv, plots and samples/")


if __name__ == "__main__":
    main()
