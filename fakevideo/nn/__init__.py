"""Layers shared by every model family (gated convolutions, conditioning, padding helpers)."""
