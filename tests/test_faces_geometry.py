"""Crops and paste-back, head pose, heatmaps, masks and tracking: checked against closed forms."""

import cv2
import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter
from scipy.spatial.transform import Rotation

from fakevideo.video.crop import crop_frames, crop_transform, paste_back, paste_back_batch, transform_points
from fakevideo.video.faces import Face
from fakevideo.video.heatmaps import heatmap_centres, landmark_heatmaps
from fakevideo.video.masks import BACKGROUND, FACE, HAIR, segmentation_masks, soft_mask
from fakevideo.video.pose import MODEL_POINTS, POSE_LANDMARKS, camera_matrix, head_pose
from fakevideo.video.tracking import FaceTrack, link_tracks, main_track, missing_frames, smooth_track


@pytest.fixture
def smooth_frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    noise = gaussian_filter(rng.normal(size=(300, 400, 3)), sigma=(6, 6, 0))
    return np.clip(128 + 60 * noise / noise.std(), 0, 255).astype(np.uint8)


def test_crop_transform_is_a_square_of_scale_times_the_box():
    matrix = crop_transform(np.array([100.0, 50.0, 200.0, 130.0]), size=256, scale=1.2)
    centre = transform_points(np.array([149.5, 89.5]), matrix)
    np.testing.assert_allclose(centre, [127.5, 127.5])
    corners = transform_points(np.array([[149.5 - 60, 89.5], [149.5 + 60, 89.5]]), matrix)
    np.testing.assert_allclose(corners[:, 0], [127.5 - 128, 127.5 + 128])  # 1.2 x 100 px side -> 256 px


def test_crop_samples_the_frame_where_the_transform_says(smooth_frame):
    matrix = crop_transform(np.array([150.3, 80.7, 260.1, 190.2]), size=128, scale=1.2)
    crop = crop_frames(smooth_frame[None], matrix[None], 128)[0]
    points = np.array([[20.0, 30.0], [64.0, 64.0], [100.0, 90.0]])
    frame_points = transform_points(points, np.linalg.inv(matrix))
    for (u, v), (x, y) in zip(points.astype(int), frame_points, strict=True):
        expected = cv2.getRectSubPix(smooth_frame.astype(np.float32), (1, 1), (x, y))[0, 0]
        np.testing.assert_allclose(crop[v, u], expected, atol=1.5)


def test_crop_then_paste_back_is_identity(smooth_frame):
    matrix = crop_transform(np.array([120.4, 60.2, 225.1, 170.9]), size=128, scale=1.2)
    crop = crop_frames(smooth_frame[None], matrix[None], 128)[0]
    ones = np.ones((128, 128), np.float32)
    restored = paste_back(smooth_frame, crop, matrix, ones)
    inside = np.zeros(smooth_frame.shape[:2], bool)
    inside[70:160, 130:215] = True  # well within the pasted square (which spans ~ 109..236 x 52..179)
    error = np.abs(restored.astype(int) - smooth_frame.astype(int))
    assert error[inside].mean() < 1.0 and error[inside].max() <= 6
    assert error.mean() < 0.5  # the square's edge blends in rather than leaving a dark seam
    np.testing.assert_array_equal(restored[:40], smooth_frame[:40])  # outside the crop: untouched
    untouched = paste_back(smooth_frame, 255 - crop, matrix, np.zeros_like(ones))
    np.testing.assert_array_equal(untouched, smooth_frame)


def test_batched_paste_back_equals_one_frame_at_a_time(smooth_frame):
    """Different frames, crops, transforms and masks in one batch: each result as if pasted alone."""
    rng = np.random.default_rng(1)
    frames = np.stack([smooth_frame, smooth_frame[::-1].copy(), 255 - smooth_frame])
    boxes = [[120.4, 60.2, 225.1, 170.9], [40.0, 30.0, 160.0, 140.0], [200.0, 100.0, 330.0, 250.0]]
    transforms = np.stack([crop_transform(np.array(box), size=64) for box in boxes])
    crops = rng.integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    masks = rng.uniform(0, 1, (3, 64, 64)).astype(np.float32)
    batched = paste_back_batch(frames, torch.from_numpy(crops).permute(0, 3, 1, 2).float(), transforms,
                               torch.from_numpy(masks)[:, None])
    for b in range(3):
        np.testing.assert_array_equal(batched[b], paste_back(frames[b], crops[b], transforms[b], masks[b]))
    assert not np.array_equal(batched[0], frames[0])


def _project(rotation: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    rvec, tvec = cv2.Rodrigues(rotation)[0], np.array([30.0, -20.0, 2500.0])
    image_points, _ = cv2.projectPoints(MODEL_POINTS, rvec, tvec, camera_matrix(width, height), None)
    landmarks = np.zeros((68, 2))
    landmarks[list(POSE_LANDMARKS)] = image_points[:, 0]
    return landmarks


@pytest.mark.parametrize("yaw,pitch,roll", [(0, 0, 0), (30, 0, 0), (0, -20, 0), (0, 0, 25), (-25, 15, -10)])
def test_pose_recovers_known_rotations(yaw, pitch, roll):
    rotation = Rotation.from_euler("ZYX", [roll, yaw, pitch], degrees=True).as_matrix()
    np.testing.assert_allclose(head_pose(_project(rotation), 640, 480), [yaw, pitch, roll], atol=2.0)


def test_pure_yaw_is_rotation_about_the_vertical_axis():
    angle = np.deg2rad(20.0)
    about_y = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]])
    np.testing.assert_allclose(head_pose(_project(about_y), 640, 480), [20, 0, 0], atol=2.0)


def test_heatmap_peaks_sit_on_the_landmarks():
    landmarks = torch.tensor([[[10.0, 20.0], [40.0, 5.0], [63.0, 63.0], [25.3, 33.7], [-30.0, 10.0]]])
    maps = landmark_heatmaps(landmarks, (64, 64), sigma=1.5)
    assert maps.shape == (1, 5, 64, 64)
    flat = maps[0, :4].flatten(1).argmax(1)
    peaks = torch.stack([flat % 64, flat // 64], 1).float()
    torch.testing.assert_close(peaks, landmarks[0, :4].round())
    torch.testing.assert_close(maps[0, :3].amax((1, 2)), torch.ones(3))
    assert maps[0, 4].abs().max() == 0  # landmark off the image: empty channel
    interior = [0, 1, 3]  # the Gaussian at (63, 63) is cut by the border, which biases its centre inwards
    torch.testing.assert_close(heatmap_centres(maps[:, interior]), landmarks[:, interior], atol=0.01, rtol=0)


def _face_landmarks() -> np.ndarray:
    """A roughly face-shaped 68-point layout in a 128 px image: jaw half-ellipse, brows, inner points."""
    angles = np.linspace(np.pi, 0, 17)
    jaw = np.stack([64 - 40 * np.cos(angles), 60 + 50 * np.sin(angles)], 1)
    brows = np.stack([np.linspace(34, 94, 10), np.full(10, 45.0)], 1)
    inner = np.stack([np.linspace(45, 83, 41), np.linspace(55, 95, 41)], 1)
    return np.concatenate([jaw, brows, inner])


def test_masks_partition_the_image_into_face_hair_background():
    landmarks = _face_landmarks()
    masks = segmentation_masks(landmarks, (128, 128))
    assert masks.shape == (3, 128, 128) and masks.dtype == np.float32
    np.testing.assert_array_equal(masks.sum(0), np.ones((128, 128)))
    for x, y in landmarks[27:].round().astype(int):
        assert masks[FACE, y, x] == 1
    hair_rows = np.nonzero(masks[HAIR].any(1))[0]
    face_rows = np.nonzero(masks[FACE].any(1))[0]
    assert hair_rows.min() < face_rows.min() and hair_rows.mean() < face_rows.mean()  # hair sits above
    assert masks[BACKGROUND, 127, 0] == 1 and masks[BACKGROUND, 0, 0] == 1
    rolled = segmentation_masks(landmarks[:, ::-1], (128, 128))  # transposed face: up points left
    assert (rolled != masks.transpose(0, 2, 1)).mean() < 0.01  # same regions, up to rasterisation


def test_soft_mask_is_eroded_and_feathered():
    hard = torch.zeros(1, 1, 96, 96)
    hard[..., 20:76, 20:76] = 1
    soft = soft_mask(hard, erosion_size=13, blur_sigma=2.0)  # eroded square spans 26..69
    assert soft.shape == hard.shape and soft.min() >= 0 and soft.max() <= 1
    assert soft[0, 0, 48, 48] == pytest.approx(1.0, abs=1e-4)  # deep inside
    assert soft[0, 0, 48, 20] < 0.01  # inside the hard mask but eaten by the erosion
    assert 0.2 < soft[0, 0, 48, 26] < 0.8 and 0.2 < soft[0, 0, 48, 69] < 0.8  # feathered edges
    assert soft.sum() < hard.sum()


def test_soft_mask_erosion_equals_kornias_flat_square_erosion():
    from kornia.morphology import erosion

    mask = (torch.rand(2, 1, 64, 80, generator=torch.Generator().manual_seed(0)) > 0.2).float()
    mask[..., 10:50, 12:70] = 1  # a solid region and speckle, touching the borders
    for size in (1, 3, 13):
        expected = erosion(mask, torch.ones(size, size))
        torch.testing.assert_close(soft_mask(mask, size, blur_sigma=1e-3), expected)  # a blur of ~0 px


def _face(x: float, y: float, side: float = 40.0) -> Face:
    return Face(box=np.array([x, y, x + side, y + side]), score=1.0, landmarks68=np.full((68, 2), [x, y]))


def test_tracking_links_faces_by_overlap_and_picks_the_longest():
    detections = [[_face(10 + 2 * t, 10), _face(200, 100 + t)] if t != 4 else [] for t in range(10)]
    detections[7] = [_face(200, 107)]  # the first face is missed in frame 7 as well
    detections.append([_face(400, 400)])  # a one-frame false positive
    tracks = link_tracks(detections, iou_threshold=0.3, max_gap=2)
    assert sorted(len(t) for t in tracks) == [1, 8, 9]
    main = main_track(tracks)
    np.testing.assert_array_equal(main.frames, [0, 1, 2, 3, 5, 6, 7, 8, 9])
    np.testing.assert_array_equal(missing_frames(main, 11), [4, 10])
    assert main_track([]) is None


def test_tracking_starts_a_new_track_after_a_long_gap():
    detections = [[_face(10, 10)], [], [], [], [_face(10, 10)]]
    assert len(link_tracks(detections, max_gap=2)) == 2
    assert len(link_tracks(detections, max_gap=4)) == 1


def test_smoothing_removes_jitter_but_keeps_linear_motion():
    rng = np.random.default_rng(1)
    frames = np.arange(40)
    clean = np.stack([50 + 2.0 * frames, 60 + 0.5 * frames], 1)
    landmarks = np.repeat(clean[:, None], 68, 1)
    boxes = np.concatenate([clean, clean + 80], 1)
    noisy = FaceTrack(frames, boxes + rng.normal(0, 1, boxes.shape), np.ones(40), landmarks)
    smoothed = smooth_track(noisy, window=9, order=2)
    assert np.abs(smoothed.boxes - boxes).std() < 0.6 * np.abs(noisy.boxes - boxes).std()
    np.testing.assert_allclose(smoothed.landmarks, landmarks, atol=1e-9)  # a quadratic fit keeps lines
    short = FaceTrack(np.array([0, 1, 5]), boxes[:3], np.ones(3), landmarks[:3])
    np.testing.assert_array_equal(smooth_track(short).boxes, boxes[:3])  # runs too short: left as they are
