"""Swap a face onto a video with trained FSGAN checkpoints, or with the training-free warp when none are given:
`python swap.py source=IMAGE_OR_VIDEO target=VIDEO output=OUT.mp4 [ckpt.reenactment=R ckpt.segmentation=S
ckpt.completion=C ckpt.blending=B] [method=fsgan|warp]`; `method=warp` with completion and/or blending
checkpoints uses the warp as FSGAN's reenactment."""

import hydra
from omegaconf import DictConfig

from fakevideo.errors import exit_on_user_error
from fakevideo.pipelines.swap import build_swapper


@hydra.main(version_base="1.3", config_path="conf", config_name="swap")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    print(build_swapper(cfg).swap(cfg.source, cfg.target, cfg.output, cfg.audio))


if __name__ == "__main__":
    main()
