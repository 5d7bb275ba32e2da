"""Provenance for every generated file: JSON label in the container, keyed invisible watermark, caption."""

from fakevideo.provenance.audio_watermark import detect_audio_watermark, embed_audio_watermark
from fakevideo.provenance.caption import caption_frame
from fakevideo.provenance.check import CheckResult, check_file
from fakevideo.provenance.label import ProvenanceLabel, checkpoint_sha256
from fakevideo.provenance.spread import DEFAULT_KEY, Detection
from fakevideo.provenance.video import label_video, labelled_video, read_video_label, sidecar_path, video_metadata
from fakevideo.provenance.video_watermark import detect_video_watermark, embed_frame_watermark
from fakevideo.provenance.wav import read_wav_label, write_wav

__all__ = [
    "DEFAULT_KEY",
    "CheckResult",
    "Detection",
    "ProvenanceLabel",
    "caption_frame",
    "check_file",
    "checkpoint_sha256",
    "detect_audio_watermark",
    "detect_video_watermark",
    "embed_audio_watermark",
    "embed_frame_watermark",
    "label_video",
    "labelled_video",
    "read_video_label",
    "read_wav_label",
    "sidecar_path",
    "video_metadata",
    "write_wav",
]
