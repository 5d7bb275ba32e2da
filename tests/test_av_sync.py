"""Audio-visual sync: the score recovers a known offset between a voice's envelope and a mouth that follows it, and
drops to chance for unrelated audio: on landmarks, and on a video of a demo face whose mouth the envelope opens."""

from __future__ import annotations

import numpy as np
import pytest

from fakevideo.data.demo_faces import IDENTITIES
from fakevideo.data.talking_face import MAX_OPENING, talking_clip
from fakevideo.evaluation.swap import audio_visual_sync
from fakevideo.evaluation.video import face_track
from fakevideo.metrics.av_sync import mouth_opening, speech_envelope, sync_score
from fakevideo.video.faces import DlibDetector

FPS, RATE, FRAMES = 25.0, 16000, 250  # 10 s


def syllables(seed: int) -> np.ndarray:
    """A speech-like level per video frame: bursts of 3-8 frames with pauses, as syllables and gaps."""
    rng = np.random.default_rng(seed)
    level = np.zeros(FRAMES)
    t = 0
    while t < FRAMES:
        length = int(rng.integers(3, 9))
        burst = rng.uniform(0.3, 1.0) * np.hanning(length + 2)[1:-1]
        level[t:t + length] = burst[:FRAMES - t]  # the last one may run past the end
        t += length + int(rng.integers(1, 6))
    return level


def voice(level: np.ndarray, seed: int) -> np.ndarray:
    """Noise whose amplitude follows `level` frame by frame (the envelope the audio analysis must recover)."""
    noise = np.random.default_rng(seed).standard_normal(int(FRAMES * RATE / FPS)).astype(np.float32)
    return noise * np.repeat(level, int(RATE / FPS)).astype(np.float32) * 0.3


def face_with_mouth(opening: np.ndarray) -> np.ndarray:
    """68 landmarks per frame: eyes 60 px apart, inner lips `opening` x 60 px apart, other points at the origin."""
    points = np.zeros((len(opening), 68, 2))
    points[:, 36:42] = [100.0, 100.0]
    points[:, 42:48] = [160.0, 100.0]
    for top, bottom in ((61, 67), (62, 66), (63, 65)):
        points[:, top] = [130.0, 160.0]
        points[:, bottom, 0] = 130.0
        points[:, bottom, 1] = 160.0 + 60.0 * opening
    return points


def test_mouth_opening_is_the_inner_lip_gap_over_the_eye_distance():
    opening = np.array([0.0, 0.1, 0.25])
    np.testing.assert_allclose(mouth_opening(face_with_mouth(opening)), opening)
    missing = face_with_mouth(opening)
    missing[1] = np.nan  # no face in that frame
    assert np.isnan(mouth_opening(missing)[1])


@pytest.mark.parametrize("lag_frames", [-7, 0, 4])
def test_score_recovers_the_offset_between_voice_and_mouth(lag_frames):
    level = syllables(seed=1)
    mouth = np.roll(level, -lag_frames)  # the audio lags the mouth by lag_frames
    envelope = speech_envelope(voice(level, seed=2), RATE, FPS, FRAMES)
    score = sync_score(envelope, mouth_opening(face_with_mouth(0.3 * mouth)), FPS)
    assert abs(score.offset_s - lag_frames / FPS) <= 1 / FPS
    assert score.correlation > 0.6


def test_unrelated_audio_scores_at_chance():
    envelope = speech_envelope(voice(syllables(seed=3), seed=4), RATE, FPS, FRAMES)
    related = sync_score(speech_envelope(voice(syllables(seed=5), seed=4), RATE, FPS, FRAMES),
                         mouth_opening(face_with_mouth(0.3 * syllables(seed=5))), FPS)
    unrelated = sync_score(envelope, mouth_opening(face_with_mouth(0.3 * syllables(seed=5))), FPS)
    assert related.correlation > 0.6 and unrelated.correlation < 0.35


def test_a_talking_clip_whose_mouth_follows_the_voice_scores_its_offset_and_unrelated_audio_at_chance(tmp_path):
    """The issue's test on real frames: a demo face's lower lip and jaw warped open by a known envelope, that
    envelope as the audio 3 frames late; evaluate_swap's sync finds the lag from the detected landmarks."""
    lag_frames, level = 3, syllables(seed=1)
    clip = talking_clip(IDENTITIES["astronaut"](), voice(np.roll(level, lag_frames), seed=2), tmp_path / "talk.mp4",
                        sample_rate=RATE, openings=MAX_OPENING * level / level.max())
    track = face_track(clip, DlibDetector(upsample=0), landmarks_only=True)
    own = audio_visual_sync(clip, track)
    assert abs(own.offset_s - lag_frames / FPS) <= 1 / FPS and own.correlation > 0.6
    assert (own.offset_s, own.correlation) in own.curve and len(own.curve) == 25  # every lag of +/- 0.5 s
    unrelated = [sync_score(speech_envelope(voice(syllables(seed), seed=4), RATE, FPS, FRAMES),
                            mouth_opening(track.landmarks), FPS).correlation for seed in (3, 5, 7)]
    assert max(unrelated) < 0.35
