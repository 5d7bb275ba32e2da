"""The few lines a run prints when it ends: where its files are and whether it worked, so nobody has to open a
CSV to find out."""

from __future__ import annotations

from pathlib import Path

#: test-split metrics worth a headline: (key in the evaluation's `overall`, label, format)
HEADLINE_METRICS = (
    ("mcd", "MCD", "{:.2f} dB"),
    ("speaker_similarity_target", "speaker similarity to target", "{:.3f}"),
    ("speaker_similarity_source", "to source", "{:.3f}"),
)


def headline(overall: dict) -> str:
    """`MCD 9.12 dB, speaker similarity to target 0.712, to source 0.640` from an evaluation's overall metrics."""
    return ", ".join(f"{label} {fmt.format(overall[key])}" for key, label, fmt in HEADLINE_METRICS
                     if overall.get(key) is not None)


def comparison(evaluation: dict, reference: str) -> str:
    """`; model MCD -1.28 ± 0.39 dB: better` (paired over the test utterances), or nothing without a comparison."""
    mcd = (evaluation.get("versus") or {}).get(reference, {}).get("mcd")
    if not mcd:
        return ""
    return f"; model MCD {mcd['difference']:+.2f} ± {mcd['ci95']:.2f} dB against it: {mcd['verdict']}"


def result_lines(evaluation: dict) -> list[str]:
    """The test split's headline, then each reference's (unconverted source, the two no-learning baselines) with the
    model's paired comparison to it."""
    lines = [f"test split: {headline(evaluation.get('overall', {})) or 'no headline metrics'}"]
    return lines + [f"{name}: {headline(overall)}{comparison(evaluation, name)}"
                    for name, overall in (evaluation.get("references") or {}).items()]


#: a best checkpoint within this fraction of the run's start is worth a line: later training only made it worse
EARLY_BEST = 0.1


def early_best_note(evaluation: dict) -> str | None:
    """A note when the evaluated (best) weights come from the first tenth of training: what the run reports is
    mostly its starting point (e.g. a residual generator's baseline_smooth start), not what training learned."""
    evaluated, trained = evaluation.get("evaluated_iteration"), evaluation.get("iterations_trained")
    if evaluated is None or not trained or evaluated > EARLY_BEST * trained:
        return None
    return (f"note: the evaluated weights are from iteration {evaluated} of {trained}; validation got no better after "
            "that (see val/conversion in the logs): training did not improve on its start")


def run_summary(run_dir: Path, best: tuple[str, str, float] | None, evaluation: dict | None) -> str:
    """The closing block: run folder, checkpoints (with the best one's metric), the test split's headline next to
    each reference's (unconverted source, mean/variance baseline) and where the details are."""
    lines = [f"run finished: {run_dir}", f"  checkpoints: {run_dir / 'checkpoints' / 'last.ckpt'}"]
    if best is not None:
        path, metric, score = best
        lines.append(f"  best by {metric} ({score:.4g}): {path}")
    if evaluation is not None:
        if evaluation.get("evaluated"):
            lines.append(f"  evaluated: {evaluation['evaluated']}")
        if note := early_best_note(evaluation):
            lines.append(f"  {note}")
        lines += [f"  {line}" for line in result_lines(evaluation)]
        lines.append(f"  details: {run_dir / 'eval'}")
    return "\n".join(lines)
