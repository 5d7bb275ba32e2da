"""`model.init_from`: an FSGAN recipe that starts from another model's generator weights."""

from __future__ import annotations

from fakevideo.training.init_from import init_generator


class StartsFromWeights:
    """Mixed into a recipe: when a fresh run is fitted, `init_from` (a train.py checkpoint or a published FSGAN
    file) gives the generator its weights. A resumed run restores its own checkpoint instead, and a task rebuilt
    from a checkpoint (convert, swap) never reads the file: the weights are loaded in `setup`, not at build."""

    def __init__(self, *args, init_from: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_from = init_from

    def setup(self, stage: str) -> None:
        super().setup(stage)
        if stage == "fit" and self.init_from is not None and self.trainer.ckpt_path is None:
            init_generator(self.generator, self.init_from)
