"""fakevideo: voice-conversion GANs and FSGAN face swapping as reproducible, config-driven experiments."""

__version__ = "0.1.0"

from fakevideo.quiet import silence_known_noise

silence_known_noise()
