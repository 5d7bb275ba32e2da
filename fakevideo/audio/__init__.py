"""Audio: file I/O, WORLD vocoder features and F0 conversion."""
