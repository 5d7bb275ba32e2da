"""Make the published-FSGAN-weights fixtures (tests/data/fsgan_published/) from the authors' own code.

Not run by the tests; kept to show how the fixtures were made. The FSGAN reference code is used, not copied:
give the folder that holds its `fsgan` package (a checkout of the public FSGAN repository). It needs only
`fsgan/models/res_unet.py`, `fsgan/models/simple_unet_02.py`, `fsgan/utils/{obj_factory,img_utils,landmarks_utils}.py`
and empty `__init__.py` files; `img_utils` imports torchvision, which a stub package satisfies.

    python scripts/make_fsgan_v2_fixtures.py REFERENCE_DIR [--out tests/data/fsgan_published]

For each published role it builds the reference network at a reduced width through the reference's own
`obj_factory` (the way the published files are read), gives it random weights and batch-norm statistics (rounded
to float16 so the files stay small and the values exact), saves `ROLE.pth` in the published format
({'arch': ..., 'state_dict': ...}), runs one fixed input through it in eval mode as the reference swap would
(pyramids, landmark heatmaps) and saves `ROLE_io.pt` (input and expected output).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

SIZE = 32  # fixture image side
# The published architectures at reduced width (the real files: ngf=128, UNet(num_classes=3) at feature_scale 1).
ARCHS = {
    "reenactment": "res_unet.MultiScaleResUNet(in_nc=101,out_nc=3,flat_layers=(2,2,2,2),ngf=4)",
    "completion": "res_unet.MultiScaleResUNet(in_nc=4,out_nc=3,flat_layers=(2,2,2,2),ngf=4)",
    "blending": "fsgan.models.res_unet.MultiScaleResUNet(in_nc=7,out_nc=3,flat_layers=(2,2,2,2),ngf=4)",
    "segmentation": "fsgan.models.simple_unet_02.UNet(num_classes=3,feature_scale=32)",
}


def randomise(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Random weights and batch-norm statistics (batch norm in eval mode would otherwise be the identity)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_var"):
                value = 0.5 + 1.5 * torch.rand(tensor.shape, generator=generator)
            elif name.endswith(("running_mean", "bias")):
                value = 0.1 * torch.randn(tensor.shape, generator=generator)
            elif tensor.dim() == 1:  # batch-norm scale
                value = 0.5 + torch.rand(tensor.shape, generator=generator)
            else:
                fan_in = tensor[0].numel()
                value = torch.randn(tensor.shape, generator=generator) * (1.5 / fan_in) ** 0.5
            tensor.copy_(value.half().float())


def smooth_image(channels: int, generator: torch.Generator) -> torch.Tensor:
    """A (1, C, S, S) image in [-1, 1] with structure at several scales."""
    noise = torch.rand(1, channels, SIZE // 4, SIZE // 4, generator=generator) * 2 - 1
    image = torch.nn.functional.interpolate(noise, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    return (0.8 * image + 0.2 * (torch.rand(image.shape, generator=generator) * 2 - 1)).half().float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="folder holding the reference `fsgan` package")
    parser.add_argument("--out", type=Path, default=Path("tests/data/fsgan_published"))
    args = parser.parse_args()
    sys.path.insert(0, str(args.reference.resolve()))
    from fsgan.utils.img_utils import create_pyramid
    from fsgan.utils.landmarks_utils import LandmarksHeatMapDecoder
    from fsgan.utils.obj_factory import obj_factory

    args.out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    for role, arch in ARCHS.items():
        model = obj_factory(arch)
        randomise(model, generator)
        model.eval()
        io: dict[str, torch.Tensor] = {}
        if role == "reenactment":
            image = smooth_image(3, generator)
            landmarks = (0.1 + 0.8 * torch.rand(1, 98, 2, generator=generator)).half().float()
            half = cv2.pyrDown(image[0].permute(1, 2, 0).numpy())  # the reference pyramids HWC images with OpenCV
            half = torch.from_numpy(np.ascontiguousarray(half)).permute(2, 0, 1)[None]
            pyramid = [torch.cat([level, LandmarksHeatMapDecoder(level.shape[-1])(landmarks)], dim=1)
                       for level in (image, half)]
            io.update(image=image, landmarks=landmarks, half_image=half, half_heatmaps=pyramid[1][:, 3:].half())
            model_input = pyramid
        elif role == "segmentation":
            io["input"] = model_input = smooth_image(3, generator)
        else:
            io["input"] = smooth_image(model.in_nc, generator)
            model_input = create_pyramid(io["input"], 2)
        with torch.no_grad():
            io["output"] = model(model_input)
        state = {name: (t.half() if t.is_floating_point() else t) for name, t in model.state_dict().items()}
        torch.save({"arch": arch, "state_dict": state}, args.out / f"{role}.pth")
        torch.save(io, args.out / f"{role}_io.pt")
        print(f"{role}: {sum(t.numel() for t in state.values())} weights, output std "
              f"{io['output'].std():.3f}")


if __name__ == "__main__":
    main()
