"""Reading FSGAN's published v2 weight files (`*_v2*.pth` from the authors) safely.

A published file is a dict holding `arch`, the generator's constructor as a string
(`res_unet.MultiScaleResUNet(in_nc=101,out_nc=3,flat_layers=(2,2,2,2),ngf=128)`), and its `state_dict`. The
authors' code `eval`s that string; here it is untrusted input like any checkpoint: it is parsed, never evaluated.
Only the published class names are accepted, with keyword arguments whose values are literal integers, booleans
or tuples of integers (`ast.literal_eval` on each value); anything else is a one-line CheckpointError naming the
file. The file is read with `torch.load(weights_only=True)`, and the network is first built on the meta device and
compared with the stored tensors, so an architecture string cannot make this machine allocate more than the file
holds.

The published segmentation network numbers its classes background, face, hair; the loader reorders its last
layer to this project's face, hair, background (fakevideo.video.masks), so it plugs into the same code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from fakevideo.errors import CheckpointError
from fakevideo.models.fsgan_v2 import EnhancedResUNet, SegmentationUNet
from fakevideo.video.masks import BACKGROUND, FACE, HAIR

#: published module.class -> (our class, published keyword -> our keyword); a module may also be spelt in full
#: (`fsgan.models.res_unet`), as the authors' `get_arch` writes it
ARCHITECTURES: dict[str, tuple[Callable[..., nn.Module], dict[str, str]]] = {
    "res_unet.MultiScaleResUNet": (EnhancedResUNet, {"in_nc": "in_channels", "out_nc": "out_channels", "ngf": "width",
                                                     "flat_layers": "blocks", "max_nc": "max_channels"}),
    "simple_unet_02.UNet": (SegmentationUNet, {name: name for name in ("feature_scale", "num_classes", "is_deconv",
                                                                        "in_channels", "is_batchnorm")}),
}
MODULE_PREFIX = "fsgan.models."
#: bounds on what a string may ask for before any weight is compared (the published ones: ngf=128, max_nc=1024)
MAX_ARCH_LENGTH, MAX_INT, MAX_TUPLE = 400, 4096, 8
#: published segmentation class index of each of our classes (theirs: 0 background, 1 face, 2 hair)
PUBLISHED_CLASS = {FACE: 1, HAIR: 2, BACKGROUND: 0}


def is_published(checkpoint: object) -> bool:
    """Whether a loaded file has the published layout (an architecture string next to a state dict)."""
    return isinstance(checkpoint, dict) and isinstance(checkpoint.get("arch"), str) and "state_dict" in checkpoint


def _dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted_name(node.value)
        return None if parent is None else f"{parent}.{node.attr}"
    return None


def _literal(node: ast.expr) -> int | bool | tuple[int, ...]:
    """An integer, a boolean or a tuple/list of integers, from the syntax tree (never evaluated)."""
    value = ast.literal_eval(node)  # ValueError for anything but a literal
    items = value if isinstance(value, (list, tuple)) and len(value) <= MAX_TUPLE else [value]
    if not all(type(v) is bool or (type(v) is int and 0 <= v <= MAX_INT) for v in items):
        raise ValueError(f"{str(value)[:40]} is not a small integer, a boolean or a short tuple of integers")
    return tuple(value) if isinstance(value, (list, tuple)) else value


def parse_arch(arch: str, source: str | Path) -> Callable[[], nn.Module]:
    """The network an architecture string names, as a constructor taking no arguments (so the caller chooses the
    device); a CheckpointError naming `source` for anything but a known class with literal keyword arguments."""
    def refuse(why: str) -> CheckpointError:
        return CheckpointError(f"{source}: architecture {arch[:80]!r} refused: {why}")

    if len(arch) > MAX_ARCH_LENGTH:
        raise refuse(f"longer than {MAX_ARCH_LENGTH} characters")
    try:
        call = ast.parse(arch.strip(), mode="eval").body
    except (SyntaxError, ValueError):  # ValueError: null bytes
        raise refuse("not a constructor call") from None
    name = _dotted_name(call.func) if isinstance(call, ast.Call) else None
    if name is None:
        raise refuse("not a constructor call")
    known = ARCHITECTURES.get(name.removeprefix(MODULE_PREFIX))
    if known is None:
        raise refuse(f"unknown network (known: {', '.join(ARCHITECTURES)})")
    cls, renames = known
    if call.args:
        raise refuse("positional arguments")
    kwargs = {}
    for keyword in call.keywords:
        if keyword.arg not in renames:
            raise refuse(f"argument {keyword.arg or '**'} (known: {', '.join(renames)})")
        try:
            kwargs[renames[keyword.arg]] = _literal(keyword.value)
        except (ValueError, TypeError, SyntaxError, RecursionError) as err:
            raise refuse(f"{keyword.arg}: {str(err).splitlines()[0] if str(err) else 'not a literal'}") from None
    if cls is EnhancedResUNet and not isinstance(kwargs.get("out_channels", 3), int):
        raise refuse("out_nc: a v2 generator has one output image (an int)")
    return lambda: cls(**kwargs)


def read_weights_file(path: str | Path) -> object:
    """A weights file read as tensors and plain data only; missing or unreadable files are a CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - truncated zip, refused pickle, text file: all the file's fault
        first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(f"{path}: unreadable or truncated checkpoint ({first_line})") from None


def to_project_layout(model: nn.Module, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A published state dict in this project's conventions: segmentation classes reordered (see module doc)."""
    if not isinstance(model, SegmentationUNet):
        return dict(state_dict)
    order = [PUBLISHED_CLASS[ours] for ours in sorted(PUBLISHED_CLASS)]
    return {name: value[order] if name in ("final.weight", "final.bias") else value
            for name, value in state_dict.items()}


def _check_fit(probe: nn.Module, state_dict: dict, path: Path) -> None:
    expected = {name: tuple(t.shape) for name, t in probe.state_dict().items()}
    if not all(isinstance(t, torch.Tensor) for t in state_dict.values()):
        raise CheckpointError(f"{path}: the stored weights hold values that are not tensors")
    stored = {name: tuple(t.shape) for name, t in state_dict.items()}
    if expected != stored:
        first = sorted(set(expected.items()) ^ set(stored.items()))[0][0]
        raise CheckpointError(f"{path}: weights do not fit its architecture string (first difference: {first})")


def build_published(checkpoint: dict, path: str | Path) -> nn.Module:
    """The published network of a loaded file, its weights in this project's layout, in eval mode."""
    path = Path(path)
    if not is_published(checkpoint) or not isinstance(checkpoint["state_dict"], dict):
        raise CheckpointError(f"{path}: not a published FSGAN weights file (no 'arch' string and 'state_dict')")
    make = parse_arch(checkpoint["arch"], path)
    with torch.device("meta"):
        probe = make()
    state_dict = checkpoint["state_dict"]
    _check_fit(probe, state_dict, path)
    model = make()
    model.load_state_dict(to_project_layout(model, state_dict))
    return model.eval()


def load_published(path: str | Path) -> nn.Module:
    """Read and build a published FSGAN weights file (see module doc)."""
    return build_published(read_weights_file(path), path)
