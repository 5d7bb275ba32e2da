"""The reference rows every voice evaluation carries, and whether the model beats them.

A model has learned a conversion only if it does better than what needs no learning: the unconverted source
(`source`), the per-speaker mean/variance mapping of MCEPs plus the log-F0 transform (`baseline_meanvar`, from
the same training split's statistics), and that mapping with a smoothed envelope (`baseline_smooth`: cepstra from
`SMOOTH_FROM` up set to the target speaker's mean), which says how much of an MCD gain smoothing alone buys. All are
evaluated on the same test utterances as the model, under
`<out>/references/<name>/`; the comparison is paired (per utterance: the model's value minus the reference's),
with the mean difference's 95 % CI: `better`/`worse` when the CI excludes zero, `tie` otherwise.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from fakevideo.atomic import write_json
from fakevideo.evaluation.voice import evaluate_conversions
from fakevideo.metrics.mcd import mean_ci95
from fakevideo.tasks.baseline import MeanVarianceTask

#: metrics compared with the references, and whether lower values are better
COMPARED = {"mcd": True, "speaker_similarity_target": False}
BASELINE = "baseline_meanvar"
SMOOTHED = "baseline_smooth"
#: first cepstrum the smoothed reference sets to the target's mean: the best of 4, 8, 12, 16, 24 on the tuning pair
#: sc_m/cb_f (espeak-ng en-gb-scotland+m2, en-029+f4; bench/RESULTS.md), never on the held-out pair
SMOOTH_FROM = 8


class UnconvertedSource:
    """The source speech as it is: the row every conversion is measured against."""

    def __init__(self, speakers: list[str], feature_config):
        self.speakers, self.feature_config = speakers, feature_config

    def convert_features(self, mcep: np.ndarray, f0: np.ndarray, source: str, target: str):
        return mcep, f0


def reference_converters(task, datamodule) -> dict:
    """The references for `task` on `datamodule` (the baselines are left out when one of them is evaluated)."""
    references = {"source": UnconvertedSource(task.speakers, task.feature_config)}
    if not isinstance(task, MeanVarianceTask):
        for name, smooth_from in ((BASELINE, None), (SMOOTHED, SMOOTH_FROM)):
            baseline = MeanVarianceTask(smooth_from=smooth_from)
            baseline.attach_data(datamodule.describe(), {"model_name": name})
            references[name] = baseline
    return references


def read_rows(eval_dir: Path) -> dict[tuple[str, str, str], dict[str, float]]:
    """per_utterance.csv keyed by (source, target, utterance), numeric cells only."""
    with open(eval_dir / "per_utterance.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {(r["source"], r["target"], r["utterance"]): {k: float(v) for k, v in r.items()
                                                        if k not in ("source", "target", "utterance") and v != ""}
            for r in rows}


def paired_comparison(model: dict, reference: dict, metric: str, lower_is_better: bool) -> dict | None:
    """Mean and 95 % CI of the per-utterance difference model - reference, and the verdict."""
    diffs = [row[metric] - reference[key][metric] for key, row in model.items()
             if metric in row and metric in reference.get(key, {})]
    if not diffs:
        return None
    mean, half = mean_ci95(diffs)
    sign = -1.0 if lower_is_better else 1.0
    verdict = "better" if sign * mean - half > 0 else "worse" if sign * mean + half < 0 else "tie"
    return {"difference": mean, "ci95": half, "utterances": len(diffs), "verdict": verdict}


def evaluate_with_references(task, datamodule, out_dir: str | Path, **options) -> dict:
    """`evaluate_conversions` of the model and of each reference; the model's metrics.json and pairs.md gain the
    references' overall metrics (`references`) and the paired comparisons (`versus`)."""
    out_dir = Path(out_dir)
    result = evaluate_conversions(task, datamodule, out_dir, **options)
    model_rows = read_rows(out_dir)
    result["references"], result["versus"] = {}, {}
    for name, reference in reference_converters(task, datamodule).items():
        folder = out_dir / "references" / name
        result["references"][name] = evaluate_conversions(reference, datamodule, folder, **options)["overall"]
        rows = read_rows(folder)
        versus = {metric: paired_comparison(model_rows, rows, metric, lower)
                  for metric, lower in COMPARED.items()}
        result["versus"][name] = {metric: value for metric, value in versus.items() if value is not None}
    write_json(out_dir / "metrics.json", result)
    with open(out_dir / "pairs.md", "a") as f:
        f.write("\n" + references_table(result))
    return result


def references_table(result: dict) -> str:
    """Markdown: the model's overall metrics next to each reference's, then the paired verdicts."""
    metrics = [m for m in ("mcd", "f0_rmse", "speaker_similarity_target", "speaker_similarity_source")
               if m in result["overall"]]
    lines = ["| system | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for name, overall in [("model", result["overall"]), *result.get("references", {}).items()]:
        lines.append(f"| {name} | " + " | ".join(f"{overall[m]:.3f}" if m in overall else "" for m in metrics) + " |")
    lines.append("")
    for name, versus in result.get("versus", {}).items():
        for metric, c in versus.items():
            lines.append(f"- vs {name}, {metric}: {c['difference']:+.3f} ± {c['ci95']:.3f} over {c['utterances']} "
                         f"utterances: {c['verdict']}")
    return "\n".join(lines) + "\n"


def verdicts(result: dict) -> dict[str, str]:
    """One short cell per reference for report tables, e.g. {"vs_baseline_meanvar": "mcd better, sim tie"}."""
    short = {"mcd": "mcd", "speaker_similarity_target": "sim"}
    return {f"vs_{name}": ", ".join(f"{short.get(m, m)} {c['verdict']}" for m, c in versus.items())
            for name, versus in result.get("versus", {}).items()}

