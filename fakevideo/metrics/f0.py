"""F0 accuracy of a conversion: log-F0 RMSE (in cents) and Pearson correlation on frames voiced in both,
and the voiced/unvoiced decision error rate. Inputs are equally long (e.g. DTW-aligned) F0 contours in Hz."""

from __future__ import annotations

import numpy as np


def f0_metrics(converted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    assert converted.shape == target.shape, "align the contours first"
    voiced_c, voiced_t = converted > 0, target > 0
    both = voiced_c & voiced_t
    result = {"vuv_error": float((voiced_c != voiced_t).mean())}
    if both.sum() >= 2:
        log_c, log_t = np.log(converted[both]), np.log(target[both])
        result["f0_rmse"] = float(1200.0 / np.log(2.0) * np.sqrt(((log_c - log_t) ** 2).mean()))
        result["f0_corr"] = float(np.corrcoef(log_c, log_t)[0, 1]) if log_c.std() > 0 and log_t.std() > 0 else 0.0
    return result
