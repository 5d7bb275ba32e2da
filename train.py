"""Train any fakevideo model: `python train.py model=stargan_vc data.root=DIR iterations=N`."""

import hydra
from omegaconf import DictConfig

from fakevideo.errors import exit_on_user_error
from fakevideo.training.run import train


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
@exit_on_user_error
def main(cfg: DictConfig) -> float | None:
    return train(cfg)


if __name__ == "__main__":
    main()
