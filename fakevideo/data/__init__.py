"""Datasets: the built-in demo corpora, the WORLD feature cache and the Lightning datamodules."""
