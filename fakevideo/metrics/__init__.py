"""Evaluation metrics (pure functions)."""
