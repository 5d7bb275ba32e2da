"""Layers shared by every model family (gated convolutions, conditioning, padding helpers, the 2-1-2D body);
whole networks live in fakevideo.models."""
