"""Our StarGAN-VC / StarGAN-VC2 networks against re-implementations of two public reference architectures, at
equal generator parameter counts: seconds for one G forward + D forward + backward at batch 8 x 36 x 128.

    PYTHONPATH=. python bench/reference_step.py [--threads 2] [--steps 5] [--speakers 4] [--device cpu]
                                                [--channels-last] [--compile inductor]

The references are written here from their published layer lists (no code taken), to time the architectures:
- StarGAN-VC as in liusongxiang/StarGAN-Voice-Conversion: the image-StarGAN generator (7x7 conv, two stride-2
  downs, 6 residual blocks of 256 channels, two transposed-conv ups; speaker code tiled as input channels) and
  its 5-down PatchGAN critic with a speaker-classification head (reported: G 9.06 M, D 11.16 M parameters).
- StarGAN-VC2 as in SamuelBroughton/StarGAN-VC2: a 2-1-2D generator whose GLUs halve the convolution channels,
  with 9 conditional-norm residual blocks, and a projection critic (reported: G 8.71 M, D 5.73 M).
Our models are built at the base width whose generator comes closest to the reference generator's size, and
at the papers' own width (32) for scale. `--channels-last` / `--compile` apply to every network timed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from fakevideo.models.stargan_vc import StarGANVCDiscriminator, StarGANVCGenerator
from fakevideo.models.stargan_vc2 import StarGANVC2Discriminator, StarGANVC2Generator

MCEP, FRAMES, BATCH = 36, 128, 8


def conv_in(conv: nn.Module, channels: int, activation: nn.Module) -> nn.Sequential:
    return nn.Sequential(conv, nn.InstanceNorm2d(channels, affine=True), activation)


class ImageStarGANGenerator(nn.Module):
    """Reference StarGAN-VC generator: the image-StarGAN layout on a 1 x 36 x T MCEP 'image'."""

    def __init__(self, speakers: int, width: int = 64, blocks: int = 6):
        super().__init__()
        w = width
        layers = [conv_in(nn.Conv2d(1 + speakers, w, 7, padding=3, bias=False), w, nn.ReLU()),
                  conv_in(nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), 2 * w, nn.ReLU()),
                  conv_in(nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False), 4 * w, nn.ReLU())]
        self.down = nn.Sequential(*layers)
        self.blocks = nn.ModuleList(
            nn.Sequential(conv_in(nn.Conv2d(4 * w, 4 * w, 3, padding=1, bias=False), 4 * w, nn.ReLU()),
                          nn.Conv2d(4 * w, 4 * w, 3, padding=1, bias=False), nn.InstanceNorm2d(4 * w, affine=True))
            for _ in range(blocks))
        self.up = nn.Sequential(
            conv_in(nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), 2 * w, nn.ReLU()),
            conv_in(nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), w, nn.ReLU()),
            nn.Conv2d(w, 1, 7, padding=3, bias=False))

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        x = mcep.unsqueeze(1)
        tiled = code[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        h = self.down(torch.cat([x, tiled], 1))
        for block in self.blocks:
            h = h + block(h)
        return self.up(h)[:, 0]


class ImageStarGANCritic(nn.Module):
    """Reference StarGAN-VC critic: 5 stride-2 4x4 convs (64..1024), a real/fake map and a speaker head."""

    def __init__(self, speakers: int, width: int = 64, downs: int = 5):
        super().__init__()
        layers, channels = [], 1
        for i in range(downs):
            layers += [nn.Conv2d(channels, width * 2**i, 4, 2, 1), nn.LeakyReLU(0.01)]
            channels = width * 2**i
        self.body = nn.Sequential(*layers)
        self.real_fake = nn.Conv2d(channels, 1, 3, padding=1, bias=False)
        self.speaker = nn.Conv2d(channels, speakers, (MCEP // 2**downs or 1, FRAMES // 2**downs), bias=False)

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        h = self.body(mcep.unsqueeze(1))
        return self.real_fake(h).mean() + (self.speaker(h).flatten(1) * code).sum(1).mean()


def gated(conv: nn.Module, out_channels: int, norm: bool = True) -> nn.Sequential:
    """conv -> (instance norm) -> GLU over channels: `out_channels` is the conv's, the output has half."""
    layers = [conv] + ([nn.InstanceNorm2d(out_channels, affine=True)] if norm else []) + [nn.GLU(1)]
    return nn.Sequential(*layers)


class CondResidual1d(nn.Module):
    """1D residual block: conv k3 -> conditional instance norm (scale/shift from the code) -> GLU -> 1x1 back."""

    def __init__(self, channels: int, code_dim: int):
        super().__init__()
        self.conv = nn.Conv1d(channels, 2 * channels, 3, padding=1, bias=False)
        self.style = nn.Linear(code_dim, 4 * channels)
        self.back = nn.Conv1d(channels, channels, 1, bias=False)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        scale, shift = self.style(code)[:, :, None].chunk(2, 1)
        y = F.instance_norm(self.conv(h)) * (1 + scale) + shift
        return h + self.back(F.glu(y, 1))


class HalvingTwoOneTwoGenerator(nn.Module):
    """Reference StarGAN-VC2 generator: 2-1-2D, each GLU halving its convolution's channels."""

    def __init__(self, speakers: int, blocks: int = 9):
        super().__init__()
        freq = MCEP // 4
        self.encoder = nn.Sequential(gated(nn.Conv2d(1, 128, (5, 15), padding=(2, 7)), 128, norm=False),
                                     gated(nn.Conv2d(64, 256, 5, 2, 2, bias=False), 256),
                                     gated(nn.Conv2d(128, 512, 5, 2, 2, bias=False), 512))
        self.to_1d = nn.Conv1d(256 * freq, 256, 1)
        self.blocks = nn.ModuleList(CondResidual1d(256, 2 * speakers) for _ in range(blocks))
        self.to_2d = nn.Conv1d(256, 256 * freq, 1)
        self.decoder = nn.Sequential(
            nn.Conv2d(256, 512, 5, padding=2), nn.PixelShuffle(2), nn.InstanceNorm2d(128, affine=True), nn.GLU(1),
            nn.Conv2d(64, 256, 5, padding=2), nn.PixelShuffle(2), nn.InstanceNorm2d(64, affine=True), nn.GLU(1),
            nn.Conv2d(32, 1, (5, 15), padding=(2, 7)))

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        h = self.to_1d(self.encoder(mcep.unsqueeze(1)).flatten(1, 2))
        for block in self.blocks:
            h = block(h, code)
        h = self.to_2d(h)
        return self.decoder(h.view(h.shape[0], 256, MCEP // 4, -1))[:, 0]


class ProjectionCritic(nn.Module):
    """Reference StarGAN-VC2 critic: gated 2D downs, global sum pooling, projection on the speaker-pair code."""

    def __init__(self, speakers: int):
        super().__init__()
        self.body = nn.Sequential(gated(nn.Conv2d(1, 128, 3, padding=1), 128, norm=False),
                                  gated(nn.Conv2d(64, 256, 3, 2, 1, bias=False), 256),
                                  gated(nn.Conv2d(128, 512, 3, 2, 1, bias=False), 512),
                                  gated(nn.Conv2d(256, 1024, 3, 2, 1, bias=False), 1024),
                                  gated(nn.Conv2d(512, 1024, (1, 5), padding=(0, 2), bias=False), 1024))
        self.out = nn.Linear(512, 1)
        self.embed = nn.Linear(2 * speakers, 512, bias=False)

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        h = self.body(mcep.unsqueeze(1)).sum(dim=(2, 3))
        return (self.out(h)[:, 0] + (self.embed(code) * h).sum(1)).mean()


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def closest_width(build: Callable[[int], nn.Module], target: int) -> int:
    """The base width (a multiple of 4) whose network's parameter count is nearest `target`."""
    return min(range(4, 161, 4), key=lambda w: abs(parameters(build(w)) - target))


def step_gflops(generator: nn.Module, critic: nn.Module, code_dim: int) -> float:
    """Floating-point work of one step (GFLOP, multiply-add = 2), counted by torch's FLOP counter."""
    mcep = torch.randn(BATCH, MCEP, FRAMES)
    code = F.one_hot(torch.arange(BATCH) % code_dim, code_dim).float()
    with FlopCounterMode(display=False) as counter:
        critic(generator(mcep, code), code).mean().backward()
    return counter.get_total_flops() / 1e9


def step_seconds(generator: nn.Module, critic: nn.Module, code_dim: int, args: argparse.Namespace) -> float:
    """Best time of G forward + D forward + backward through both, at batch 8 x 36 x 128."""
    steps, device = args.steps, args.device
    generator, critic = generator.to(device), critic.to(device)
    for network in (generator, critic):
        if args.channels_last:
            network.to(memory_format=torch.channels_last)
        if args.compile:
            network.compile(backend=args.compile)
    mcep = torch.randn(BATCH, MCEP, FRAMES, device=device)
    code = F.one_hot(torch.arange(BATCH, device=device) % code_dim, code_dim).float()
    best = float("inf")
    for step in range(steps + 1):  # the first is a warm-up
        start = time.perf_counter()
        critic(generator(mcep, code), code).mean().backward()
        if device == "cuda":
            torch.cuda.synchronize()
        if step:
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--speakers", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", default=None, help="a torch.compile backend, e.g. inductor")
    parser.add_argument("--paper-width", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    s = args.speakers
    pairs = [
        ("StarGAN-VC", ImageStarGANGenerator(s), ImageStarGANCritic(s), s,
         lambda w: StarGANVCGenerator(s, w), lambda w: StarGANVCDiscriminator(s, w)),
        ("StarGAN-VC2", HalvingTwoOneTwoGenerator(s), ProjectionCritic(s), 2 * s,
         lambda w: StarGANVC2Generator(s, MCEP, w), lambda w: StarGANVC2Discriminator(s, w)),
    ]
    options = f"channels_last={args.channels_last}, compile={args.compile}"
    print(f"{args.device}, {args.threads} threads, torch {torch.__version__}, {options}; batch {BATCH} x {MCEP} x "
          f"{FRAMES}, {s} speakers; s = G forward + D forward + backward (best of {args.steps})")
    print(f"{'system':12s} {'which':10s} {'width':>5s} {'G M par':>8s} {'D M par':>8s} {'GFLOP':>8s} {'s/step':>8s} "
          f"{'GFLOP/s':>8s}")
    for name, ref_g, ref_d, code_dim, our_g, our_d in pairs:
        width = closest_width(our_g, parameters(ref_g))
        ours, paper = (our_g(width), our_d(width)), (our_g(args.paper_width), our_d(args.paper_width))
        work = {id(g): step_gflops(g, d, code_dim) for g, d in ((ref_g, ref_d), ours, paper)}
        reference_time = step_seconds(ref_g, ref_d, code_dim, args)
        our_time = step_seconds(*ours, code_dim, args)
        paper_time = step_seconds(*paper, code_dim, args)
        for which, (g, d), seconds, w in (("reference", (ref_g, ref_d), reference_time, "-"),
                                          ("ours", ours, our_time, str(width)),
                                          ("ours", paper, paper_time, str(args.paper_width))):
            gflop = work[id(g)]
            print(f"{name:12s} {which:10s} {w:>5s} {parameters(g) / 1e6:>8.2f} {parameters(d) / 1e6:>8.2f} "
                  f"{gflop:>8.1f} {seconds:>8.3f} {gflop / seconds:>8.1f}")
        print(f"{name:12s} ours / reference time at equal G size: {our_time / reference_time:.2f} (target <= 1); "
              f"FLOP rate ours / reference: {work[id(ours[0])] / our_time / (work[id(ref_g)] / reference_time):.2f}")


if __name__ == "__main__":
    main()
