"""The end of `make demo`: a talking clip made from a demo photo and a corpus sentence becomes a fake video (the
speech in another demo voice, another demo face by the warp swap), labelled, watermarked, captioned and checked."""

import numpy as np

from fakevideo.audio.io import load_audio
from fakevideo.demo import demo_fake_video
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
