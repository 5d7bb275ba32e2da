"""The four trained FSGAN generators as one batched face-swap step on crops: reenact the source views to the
target's landmarks (weighted by pose), segment, complete the uncovered face region, blend into the target. The
stages after reenactment (`FaceSwapModels.composite`) also finish the warp method's warped faces
(fakevideo.pipelines.warp_model), which then loads only the roles it is given.

Images are (B, 3, S, S) tensors in [-1, 1] at the models' training size S; masks are (B, 1, S, S) in [0, 1].
Each role's file is a checkpoint left by train.py or one of FSGAN's published v2 weight files (the authors'
`*_v2*.pth`, fakevideo.training.published_weights): a published network runs inside the recipe that feeds it the
inputs it was trained on (fakevideo.tasks.fsgan_v2), so both kinds mix freely in one swap.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import torch

from fakevideo.errors import CheckpointError
from fakevideo.provenance import checkpoint_sha256
from fakevideo.tasks.fsgan import BlendingTask, CompletionTask, FaceTask, ReenactmentTask, SegmentationTask
from fakevideo.tasks.fsgan_v2 import BlendingV2Task, CompletionV2Task, PublishedLayout, ReenactmentV2Task
from fakevideo.training.checkpoints import load_task
from fakevideo.training.published_weights import build_published, is_published, read_weights_file
from fakevideo.video.masks import FACE, segmentation_masks

ROLES: dict[str, type[FaceTask]] = {"reenactment": ReenactmentTask, "segmentation": SegmentationTask,
                                    "completion": CompletionTask, "blending": BlendingTask}
OPTIONAL_ROLES = ("segmentation",)
REQUIRED_ROLES = tuple(role for role in ROLES if role not in OPTIONAL_ROLES)
PUBLISHED_ROLES: dict[str, type[FaceTask]] = {"reenactment": ReenactmentV2Task, "segmentation": SegmentationTask,
                                              "completion": CompletionV2Task, "blending": BlendingV2Task}
#: the crops FSGAN's published networks were trained on: 256 px, 1.2 x the face box
PUBLISHED_DATA = {"image_size": 256, "crop_size": 256, "crop_scale": 1.2}


def load_role(path: str | Path, role: str) -> FaceTask:
    """A role's model from a train.py checkpoint or a published FSGAN v2 weights file (eval mode)."""
    checkpoint = read_weights_file(path)
    if not is_published(checkpoint):
        return load_task(path, ROLES[role])
    generator = build_published(checkpoint, path)
    if generator.in_channels != PUBLISHED_ROLES[role].input_channels:
        raise CheckpointError(f"ckpt.{role}={path}: a published network with {generator.in_channels} input channels, "
                              f"but the {role} model takes {PUBLISHED_ROLES[role].input_channels}")
    adversarial = {} if role == "segmentation" else {"discriminator": None, "optimizer_d": None,
                                                     "loss": {"perceptual": 0.0}}
    task = PUBLISHED_ROLES[role](generator, optimizer_g=None, iterations=1, **adversarial)
    task.attach_data(dict(PUBLISHED_DATA), {})
    return task.eval()


def pick_device(name: str) -> torch.device:
    """'auto' -> CUDA when present, else CPU; anything else as torch spells it."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else torch.device(name)


class FaceSwapModels:
    """Reenactment, (optional) segmentation, completion and blending generators in eval mode on one device.

    Without a segmentation model the face regions come from the target landmarks (the reenacted face is in
    the target's pose, so one landmark mask serves both). The warp method holds a subset without reenactment."""

    family = "fsgan"  # provenance label's model family
    threads: int | None = None  # torch threads while swapping: torch's own

    def __init__(self, tasks: dict[str, FaceTask], device: torch.device, checkpoints: dict[str, str] | None = None):
        self.tasks = tasks
        self.device = device
        self.checkpoints = checkpoints or {}
        first, info = next((role, task.data_info) for role, task in tasks.items())
        self.image_size: int = int(info["image_size"])
        self.crop_size: int = int(info["crop_size"])
        self.crop_scale: float = float(info["crop_scale"])
        for role, task in tasks.items():
            size = int(task.data_info["image_size"])
            if size != self.image_size:
                raise CheckpointError(f"ckpt.{role}: trained at data.image_size={size}, but the {first} "
                                      f"model at {self.image_size}; train all four at one size")
        for task in tasks.values():
            task.to(device)

    @classmethod
    def from_checkpoints(cls, paths: dict[str, str | Path | None], device: str = "auto",
                         required: tuple[str, ...] = REQUIRED_ROLES) -> FaceSwapModels:
        """Load each role's checkpoint (left by train.py, or a published v2 file); the roles not `required` may be
        None (FSGAN needs all but segmentation)."""
        tasks, hashes = {}, {}
        for role in ROLES:
            path = paths.get(role)
            if path is None:
                if role not in required:
                    continue
                raise CheckpointError(f"ckpt.{role}: missing; give the {role} checkpoint (RUN/checkpoints/last.ckpt)")
            tasks[role] = load_role(path, role)
            hashes[role] = checkpoint_sha256(path)
        return cls(tasks, pick_device(device), hashes)

    def autocast(self) -> AbstractContextManager:
        """bf16 autocast on CUDA (no loss scaling needed at inference); a no-op on CPU."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda")

    def _run(self, role: str, inputs: torch.Tensor) -> torch.Tensor:
        with self.autocast():
            return self.tasks[role].generator(inputs).float()

    @torch.no_grad()
    def reenact(self, views: torch.Tensor, landmarks: torch.Tensor) -> torch.Tensor:
        """Source views (N, 3, S, S) driven to (N, 68, 2) target landmarks."""
        task: ReenactmentTask = self.tasks["reenactment"]
        if isinstance(task, PublishedLayout):
            return self._run("reenactment", task.generator_input(views, landmarks))
        heatmaps = task.heatmaps(landmarks, views.shape[-1])
        return self._run("reenactment", torch.cat([views, heatmaps.to(views.dtype)], dim=1))

    @torch.no_grad()
    def face_masks(self, faces: torch.Tensor, landmarks: torch.Tensor) -> torch.Tensor:
        """Face region of each image: the segmentation model's face class, else the polygon of the landmarks
        (which only that path reads)."""
        if "segmentation" in self.tasks:
            return (self._run("segmentation", faces).argmax(dim=1, keepdim=True) == FACE).float()
        size = (faces.shape[-2], faces.shape[-1])
        masks = [segmentation_masks(points, size)[FACE] for points in landmarks.cpu().numpy()]
        return torch.from_numpy(np.stack(masks))[:, None].to(faces.device)

    @torch.no_grad()
    def complete(self, faces: torch.Tensor, face_mask: torch.Tensor, covered: torch.Tensor) -> torch.Tensor:
        """Fill the pixels of `face_mask` that `faces` does not cover (the completion model's 4-channel input:
        ours the faces where known and the known mask, the published one as fakevideo.tasks.fsgan_v2 says)."""
        task = self.tasks["completion"]
        if isinstance(task, PublishedLayout):
            return self._run("completion", task.generator_input(faces, face_mask, covered))
        known = 1 - face_mask * (1 - covered)
        return self._run("completion", torch.cat([faces * known, known], dim=1))

    @torch.no_grad()
    def blend(self, faces: torch.Tensor, targets: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Blend the faces into the target crops inside the masks (the blending model's 7-channel input)."""
        task = self.tasks["blending"]
        if isinstance(task, PublishedLayout):
            return self._run("blending", task.generator_input(faces, targets, masks))
        return self._run("blending", torch.cat([faces * masks, targets, masks], dim=1))

    @torch.no_grad()
    def swap(self, views: torch.Tensor, owners: torch.Tensor, weights: torch.Tensor, targets: torch.Tensor,
             landmarks: torch.Tensor, view_landmarks: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Swapped crops and their face masks for B target crops with (B, 68, 2) landmarks.

        `views` (N, 3, S, S) are source views, view n belonging to target `owners[n]` with weight `weights[n]`
        (each target's weights sum to 1): their reenactments are averaged per target by these weights. The views'
        own landmarks (`view_landmarks`, which the warp method needs) are not an input of FSGAN's reenactment.
        """
        reenacted_views = self.reenact(views, landmarks[owners])
        reenacted = torch.zeros_like(targets).index_add_(0, owners, reenacted_views * weights[:, None, None, None])
        return self.composite(reenacted, targets, landmarks)

    @torch.no_grad()
    def composite(self, faces: torch.Tensor, targets: torch.Tensor, landmarks: torch.Tensor,
                  covered: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Faces already in the targets' pose (B, 3, S, S) into the target crops: the target's face region, the
        completion of what `faces` does not cover there, the blend; a stage whose model is not loaded is skipped.

        `covered` (B, 1, S, S): where `faces` holds face pixels; by default the segmentation model's face class on
        them, else the target's landmark mask (FSGAN's reenactment). Returns the faces (blended into the targets
        when there is a blending model) and the region they replace: the target's face region, or only its
        covered part when nothing completes the rest."""
        if "segmentation" in self.tasks and covered is None:  # targets and faces segmented in one batch
            target_mask, covered = self.face_masks(torch.cat([targets, faces]), landmarks).chunk(2)
        else:
            target_mask = self.face_masks(targets, landmarks)
            covered = target_mask if covered is None else covered
        if "completion" in self.tasks:
            faces, region = self.complete(faces, target_mask, covered), target_mask
        else:
            region = target_mask * covered
        if "blending" in self.tasks:
            faces = self.blend(faces, targets, region)
        return faces, region
