"""Temporal flicker: change inside the face region beyond the target's own."""

from __future__ import annotations

import numpy as np

from fakevideo.metrics.flicker import flicker, frame_changes


def test_a_stable_swap_of_a_moving_target_scores_zero():
    still = np.random.default_rng(0).integers(0, 200, (8, 8, 3)).astype(np.uint8)
    target = [np.roll(still, t, axis=1) for t in range(4)]  # the target moves: its own change is not flicker
    regions = [np.ones((8, 8), bool)] * 4
    assert frame_changes(target, regions).min() > 10
    np.testing.assert_allclose(flicker(frame_changes([f.copy() for f in target], regions),
                                       frame_changes(target, regions)), 0.0)


def test_flicker_is_the_extra_change_inside_the_face_only():
    still = np.full((8, 8, 3), 100, np.uint8)
    region = np.zeros((8, 8), bool)
    region[2:6, 2:6] = True
    output = [still.copy() for _ in range(4)]
    for t, frame in enumerate(output):
        frame[region] += np.uint8(10 * (t % 2))  # +10 grey levels inside the face on every other frame
        frame[~region] = 50 * t  # outside the face: ignored
    np.testing.assert_allclose(flicker(frame_changes(output, [region] * 4), frame_changes([still] * 4, [region] * 4)),
                               [10.0, 10.0, 10.0])


def test_frames_without_a_face_are_unknown_not_zero():
    frames = [np.zeros((4, 4, 3), np.uint8)] * 3
    changes = frame_changes(frames, [np.ones((4, 4), bool), None, np.ones((4, 4), bool)])
    assert np.isnan(changes[0]) and changes[1] == 0.0
