"""Talking-head clips from a still photo whose mouth opens with a known envelope (demo material and sync tests).

The lower lip and the jaw of the still's 68 landmarks are moved down by the mouth opening (a fraction of the
inter-ocular distance, the unit of `fakevideo.metrics.av_sync.mouth_opening`), the still is warped piecewise-affinely
onto them (`fakevideo.video.warp`) and the gap between the lips is painted as a dark mouth interior (the still's own
teeth, if it shows any, stay where they are, as upper teeth do); each frame then
gets the demo clips' head motion (`demo_faces.clip_motion`). With the speech's own level as the envelope the clip
talks in time with its audio; with a chosen envelope and audio it is a clip of known audio-visual offset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fakevideo.audio.io import load_audio
from fakevideo.data.demo_faces import DEMO_FPS, clip_motion, make_still, render_clip, write_frames
from fakevideo.errors import InputError
from fakevideo.metrics.av_sync import LEFT_EYE, RIGHT_EYE, speech_envelope
from fakevideo.video.io import mux_audio
from fakevideo.video.warp import delaunay, inner_mouth, piecewise_affine

#: how far each landmark moves down per unit of mouth opening: the lower lip fully, the jaw less towards the ears
MOUTH_FOLLOWERS = {65: 1.0, 66: 1.0, 67: 1.0, 56: 1.0, 57: 1.0, 58: 1.0, 55: 0.8, 59: 0.8, 54: 0.3, 48: 0.3,
                   64: 0.3, 60: 0.3, 7: 0.85, 8: 0.9, 9: 0.85, 6: 0.6, 10: 0.6, 5: 0.3, 11: 0.3, 4: 0.1, 12: 0.1}
MAX_OPENING = 0.3  # widest inner-lip gap, as a fraction of the inter-ocular distance (a wide-open mouth)
SPEECH_RANGE_DB = 30.0  # speech this far below its loudest frame leaves the mouth closed
MOUTH_COLOUR = (45, 18, 22)  # RGB of the mouth interior shown between parted lips


def open_mouth(landmarks: np.ndarray, opening: float) -> np.ndarray:
    """(68, 2) landmarks with the lower lip and jaw moved down the face by `opening` x the inter-ocular distance."""
    eyes = landmarks[LEFT_EYE].mean(0), landmarks[RIGHT_EYE].mean(0)
    across = eyes[1] - eyes[0]
    down = np.array([-across[1], across[0]]) / np.linalg.norm(across)  # perpendicular to the eye line, chinwards
    moved = landmarks.astype(np.float64).copy()
    for index, weight in MOUTH_FOLLOWERS.items():
        moved[index] += weight * opening * np.linalg.norm(across) * down
    return moved


def mouth_frames(still: np.ndarray, landmarks: np.ndarray, openings: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) copies of the (H, W, 3) still with the mouth opened by each of the (T,) `openings`."""
    height, width = still.shape[:2]
    border = np.array([[x, y] for x in (0, width / 2, width - 1) for y in (0, height / 2, height - 1)
                       if (x, y) != (width / 2, height / 2)])  # fixed: the warp covers the whole image
    source = np.concatenate([landmarks, border])
    # Triangulated with the mouth wide open: the lips' own points are apart there, so every one is a vertex.
    triangles = delaunay(np.concatenate([open_mouth(landmarks, MAX_OPENING), border]))
    frames = np.repeat(still[None], len(openings), axis=0)
    for frame, opening in zip(frames, openings, strict=True):
        moved = open_mouth(landmarks, opening)
        gap = np.linalg.norm(moved[66] - landmarks[66])
        if gap < 0.5:  # under half a pixel: the still as it is
            continue
        frame[:], _ = piecewise_affine(still, source, np.concatenate([moved, border]), triangles, (height, width))
        # The lowered jaw shows a dark mouth; what the still already shows there (upper teeth) stays in place.
        mouth, shown = inner_mouth(moved, (height, width)), inner_mouth(landmarks, (height, width))
        frame[mouth] = MOUTH_COLOUR
        frame[mouth & shown] = still[mouth & shown]
    return frames


def envelope_opening(level_db: np.ndarray) -> np.ndarray:
    """Mouth opening per frame from a speech level in dB per frame: closed SPEECH_RANGE_DB below the loudest frame,
    MAX_OPENING at it, linear in dB between."""
    return MAX_OPENING * np.clip(1 - (level_db.max() - level_db) / SPEECH_RANGE_DB, 0, 1)


def talking_clip(photo: np.ndarray, speech: str | Path | np.ndarray, path: str | Path, seed: int = 0,
                 sample_rate: int | None = None, openings: np.ndarray | None = None) -> Path:
    """`path`: the photo's face moving like the demo clips, for as long as `speech` (a file, or samples at
    `sample_rate`) lasts, with it as the audio track and the mouth opening with its level (or with `openings`,
    one per DEMO_FPS frame, when given: a clip whose sync with its audio is known)."""
    path = Path(path)
    if isinstance(speech, np.ndarray):
        audio, rate = speech, sample_rate
    else:
        audio, rate = load_audio(speech)
    num_frames = max(1, round(len(audio) / rate * DEMO_FPS))
    if openings is None:
        openings = envelope_opening(speech_envelope(audio, rate, DEMO_FPS, num_frames))
    elif len(openings) != num_frames:
        raise InputError(f"{len(openings)} mouth openings for {num_frames} frames of speech")
    still, landmarks = make_still(photo, 256)
    homographies, _, brightness = clip_motion(seed, num_frames, still.shape[0])
    silent = path.with_name(f".{path.stem}-silent.mp4")
    write_frames(silent, render_clip(mouth_frames(still, landmarks, openings), homographies, brightness))
    try:
        return mux_audio(silent, speech, path, sample_rate)
    finally:
        silent.unlink()
