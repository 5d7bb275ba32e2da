"""Reference rows (unconverted source, mean/variance baseline) in every voice evaluation and the paired verdicts
that say whether a model beats them."""

import json

import pytest

from fakevideo.evaluation.references import paired_comparison, verdicts


def rows(values):
    return {("a", "b", f"u{i}"): {"mcd": v} for i, v in enumerate(values)}


@pytest.mark.parametrize(("model", "verdict"), [([5.0, 6.0, 5.5, 6.5], "better"), ([9.0, 10.0, 9.5, 10.5], "worse"),
                                                ([7.0, 9.0, 6.0, 9.5], "tie")])
def test_paired_comparison_needs_the_ci_to_exclude_zero(model, verdict):
    reference = rows([8.0, 8.0, 8.2, 8.1])
    result = paired_comparison(rows(model), reference, "mcd", lower_is_better=True)
    assert result["verdict"] == verdict and result["utterances"] == 4
    flipped = paired_comparison(rows(model), reference, "mcd", lower_is_better=False)["verdict"]
    assert flipped == {"better": "worse", "worse": "better", "tie": "tie"}[verdict]


def test_training_evaluation_carries_the_references_and_verdicts(trained_stargan):
    result = json.loads((trained_stargan / "eval" / "metrics.json").read_text())
    assert set(result["references"]) == {"source", "baseline_meanvar", "baseline_smooth"}
    baseline = json.loads((trained_stargan / "eval" / "references" / "baseline_meanvar" / "metrics.json").read_text())
    assert result["references"]["baseline_meanvar"] == baseline["overall"]
    for name in ("source", "baseline_meanvar", "baseline_smooth"):
        assert result["versus"][name]["mcd"]["verdict"] in ("better", "worse", "tie")
        assert result["versus"][name]["mcd"]["utterances"] == 12
    assert result["references"]["source"]["mcd"] > result["references"]["baseline_meanvar"]["mcd"]
    assert all(result["overall"][band] > 0 for band in ("mcd_c1_4", "mcd_c5_12", "mcd_c13_up"))
    # the smoothed reference differs from the mean/variance mapping from c8 up (the DTW paths differ a little)
    smooth, plain = result["references"]["baseline_smooth"], result["references"]["baseline_meanvar"]
    assert smooth["mcd_c1_4"] == pytest.approx(plain["mcd_c1_4"], rel=0.15)
    assert smooth["mcd_c13_up"] != pytest.approx(plain["mcd_c13_up"], rel=0.01)
    assert set(verdicts(result)) == {"vs_source", "vs_baseline_meanvar", "vs_baseline_smooth"}
    assert "vs baseline_meanvar, mcd" in (trained_stargan / "eval" / "pairs.md").read_text()
