"""The end of `make demo`: a talking clip made from a demo photo and a corpus sentence becomes a fake video (the
speech in another demo voice, another demo face by the warp swap), labelled, watermarked, captioned and checked."""

import json

import numpy as np

from fakevideo.audio.io import load_audio
from fakevideo.config import compose
from fakevideo.demo import VOICE_RECIPE, demo_fake_video, voice_result
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.pipelines.fakevideo import sync_error, sync_tolerance
from fakevideo.provenance import check_file, read_video_label
from fakevideo.provenance.caption import caption_box
from fakevideo.video.io import iter_frames, read_video_info


def test_demo_makes_a_labelled_captioned_fake_video(trained_stargan, demo_corpus, tmp_path, capsys):
    converter = VoiceConverter.from_checkpoint(trained_stargan / "checkpoints" / "last.ckpt")
    speech = sorted((demo_corpus / "us1_f").glob("*.wav"))[0]
    clip, fake = demo_fake_video(converter, speech, "us1_f", "us2_m", tmp_path)

    audio, rate = load_audio(speech)
    info = read_video_info(clip)
    assert info.has_audio and abs(info.num_frames / info.fps - len(audio) / rate) <= 1 / info.fps
    assert fake.output == tmp_path / "fake.mp4" and fake.swapped == fake.frames == info.num_frames
    assert abs(sync_error(fake.output)) <= sync_tolerance(info.fps, converter.sample_rate)

    label = read_video_label(fake.output)
    assert label.synthetic and label.model_family == "warp+stargan_vc"
    assert label.extra["source_speaker"] == "us1_f" and label.extra["target_speaker"] == "us2_m"
    assert label.extra["source"] == "grace_hopper.jpg"
    result = check_file(fake.output)
    assert result.watermark.detected and result.audio_watermark.detected
    x0, y0, x1, y1, _ = caption_box((info.height, info.width))
    caption = next(iter_frames(fake.output))[y0:y1, x0:x1]
    assert (caption.max(axis=2) < 40).mean() > 0.5  # the black caption box

    first_clip, first_fake = next(iter_frames(clip)), next(iter_frames(fake.output))
    assert np.abs(first_clip.astype(float) - first_fake)[y1:].mean() > 3  # a face was swapped in
    mtime = clip.stat().st_mtime_ns
    demo_fake_video(converter, speech, "us1_f", "us2_m", tmp_path)
    assert clip.stat().st_mtime_ns == mtime  # the talking clip is made once


def test_the_demo_voice_recipe_is_the_one_that_beat_the_baselines(tmp_path):
    """The demo trains CycleGAN-VC2 with size=cpu (bench/RESULTS.md: ahead of both no-learning baselines within
    minutes on held-out speakers) between two named demo voices, and converts with the weights it evaluated."""
    cfg = compose("train", VOICE_RECIPE, tmp_path)
    assert cfg.model.generator._target_.endswith("CycleGANVC2Generator") and cfg.model.generator.residual == 8
    assert list(cfg.data.speakers) == ["us1_f", "us2_m"] and cfg.evaluation.weights == "best"


def test_the_demo_repeats_the_voice_result_at_its_end(tmp_path):
    metrics = {"overall": {"mcd": 12.84, "speaker_similarity_target": 0.691, "speaker_similarity_source": 0.616},
               "references": {"baseline_meanvar": {"mcd": 11.45}},
               "versus": {"baseline_meanvar": {"mcd": {"difference": 1.4, "ci95": 0.97, "verdict": "worse"}}}}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    assert voice_result(tmp_path / "metrics.json") == [
        "test split: MCD 12.84 dB, speaker similarity to target 0.691, to source 0.616",
        "baseline_meanvar: MCD 11.45 dB; model MCD +1.40 ± 0.97 dB against it: worse"]
    assert voice_result(tmp_path / "missing.json") == []
