"""Head pose (yaw, pitch, roll in degrees) from 68 landmarks by PnP against a generic 3D face.

The six reference points are the widely used generic head model (nose tip, chin, outer eye corners,
mouth corners; units about a millimetre, nose tip at the origin), here in camera axes: x right, y down,
z away from the camera. A frontal, upright face therefore has zero rotation.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

# 68-point indices: nose tip, chin, outer corner of the image-left eye, of the image-right eye, mouth corners.
POSE_LANDMARKS = (30, 8, 36, 45, 48, 54)
MODEL_POINTS = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, 330.0, 65.0],
        [-225.0, -170.0, 135.0],
        [225.0, -170.0, 135.0],
        [-150.0, 150.0, 125.0],
        [150.0, 150.0, 125.0],
    ]
)


def camera_matrix(width: int, height: int) -> np.ndarray:
    """Pinhole intrinsics guessed from the frame: focal length = width, principal point at the centre."""
    return np.array([[width, 0.0, width / 2], [0.0, width, height / 2], [0.0, 0.0, 1.0]])


def rotation_to_angles(rotation: np.ndarray) -> np.ndarray:
    """(yaw, pitch, roll) in degrees for R = Rz(roll) Ry(yaw) Rx(pitch) in camera axes."""
    roll, yaw, pitch = Rotation.from_matrix(rotation).as_euler("ZYX", degrees=True)
    return np.array([yaw, pitch, roll])


def head_pose(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """(yaw, pitch, roll) in degrees of a face whose (68, 2) landmarks lie in a width x height frame."""
    image_points = np.ascontiguousarray(landmarks[list(POSE_LANDMARKS)], dtype=np.float64)
    ok, rvec, _ = cv2.solvePnP(
        MODEL_POINTS, image_points, camera_matrix(width, height), None, flags=cv2.SOLVEPNP_ITERATIVE
    )
    assert ok, "solvePnP failed on six non-coplanar points"
    return rotation_to_angles(cv2.Rodrigues(rvec)[0])
