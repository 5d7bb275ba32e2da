"""The full fake video in one command: speaker A's speech converted to B's voice, B's face swapped onto A's
head motion and expressions, muxed into one labelled, watermarked (and by default captioned) mp4.

`python -m fakevideo.pipelines.fakevideo video=A.mp4 face=B.png vc.ckpt=VC vc.src_spk=a vc.trg_spk=b
[ckpt.reenactment=R ckpt.completion=C ckpt.blending=B [ckpt.segmentation=S]] output=fake.mp4` (conf/fakevideo.yaml,
which extends conf/swap.yaml; without FSGAN checkpoints the face is swapped by the training-free warp). The
converted audio keeps the source timing (unless `vc.duration` says otherwise) and is cut or padded to the video's
length, so audio and video stay in sync; the written file is checked to agree within one frame. The summary ends
with how well the result holds together: its audio-visual sync next to the input video's, and its face's flicker
(`fakevideo.evaluation.swap.coherence`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import hydra
import numpy as np
from omegaconf import DictConfig

from fakevideo.audio.io import load_audio
from fakevideo.config import CONF_DIR
from fakevideo.errors import InputError, exit_on_user_error
from fakevideo.evaluation.swap import coherence
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.pipelines.face_models import pick_device
from fakevideo.pipelines.swap import FaceSwapper, SwapSummary, build_swapper
from fakevideo.provenance import ProvenanceLabel, write_wav
from fakevideo.video.io import AAC_FRAME_SIZE, VideoInfo, read_video_info


def converted_track(converter: VoiceConverter, video: Path, info: VideoInfo, source: str, target: str) -> np.ndarray:
    """The video's speech in the target voice, sample for sample in the source's timing, as long as the video."""
    if not info.has_audio:
        raise InputError(f"{video}: holds no audio track to convert")
    audio, rate = load_audio(video, converter.sample_rate)
    converted = converter.convert(audio, source, target)
    length = round(info.num_frames / info.fps * rate)
    return np.pad(converted, (0, max(0, length - len(converted))))[:length]


def sync_error(path: str | Path) -> float:
    """Audio duration minus video duration of a media file, in seconds."""
    info = read_video_info(path)
    audio, rate = load_audio(path)
    return len(audio) / rate - info.num_frames / info.fps


def sync_tolerance(fps: float, sample_rate: int) -> float:
    """Largest audio-minus-video length of a synced file: a frame, plus the AAC encoder's padding of its last
    1024-sample frame (64 ms at 16 kHz), which decoders return as samples."""
    return 1 / fps + AAC_FRAME_SIZE / sample_rate


def make_fake_video(swapper: FaceSwapper, converter: VoiceConverter, video: str | Path, face: str | Path,
                    source_speaker: str, target_speaker: str, output: str | Path) -> SwapSummary:
    """Write `output`: `video` with `face` swapped in and its speech converted from one speaker to the other."""
    video, face, output = Path(video), Path(face), Path(output)
    converter.check_speakers(source_speaker, target_speaker)
    info = read_video_info(video)
    audio = converted_track(converter, video, info, source_speaker, target_speaker)
    face_label = swapper.label(face, video)
    label = ProvenanceLabel(f"{face_label.model_family}+{converter.task.model_name}", face_label.checkpoint_sha256,
                            extra={**face_label.extra, "voice_checkpoint": converter.checkpoint_sha256,
                                   "source_speaker": source_speaker, "target_speaker": target_speaker})
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.stem}-") as scratch:
        wav = Path(scratch) / "voice.wav"
        write_wav(wav, audio, converter.sample_rate, label, watermark=swapper.options.watermark)
        summary = swapper.swap(face, video, output, audio=wav, label=label)
    error = sync_error(output)
    if abs(error) > sync_tolerance(info.fps, converter.sample_rate):
        raise InputError(f"{output}: audio and video lengths differ by {error:.3f} s (does {video}'s audio track "
                         f"cover its whole video?)")
    return summary


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="fakevideo")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    converter = VoiceConverter.from_checkpoint(cfg.vc.ckpt, str(pick_device(cfg.vc.device)), cfg.vc.f0_method,
                                               cfg.vc.duration)
    swapper = build_swapper(cfg)
    summary = make_fake_video(swapper, converter, cfg.video, cfg.face, cfg.vc.src_spk, cfg.vc.trg_spk, cfg.output)
    print(summary)
    if cfg.coherence:
        print(coherence(summary.output, cfg.video, swapper.detector))


if __name__ == "__main__":
    main()
