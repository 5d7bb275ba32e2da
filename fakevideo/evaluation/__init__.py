"""Evaluation: what loads models and media to measure them (voice conversions on a test split with their
reference rows, speaker embeddings, face swaps and video similarity, sweep reports). The measures themselves are
pure functions on arrays in `fakevideo.metrics`."""
