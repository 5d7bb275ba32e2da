"""OmegaConf resolvers the configs use; registered once, on import of the training and conversion code."""

from __future__ import annotations

from omegaconf import OmegaConf

# MCEP order by sample rate: 36 at 16 kHz (VCC2018 recipes), 34 at 22.05 kHz and above (the CycleGAN-VC2 and
# StarGAN-VC2 papers use 34 at 22.05 kHz; no paper fixes another value for higher rates).
_MCEP_DIM_BY_RATE = ((16000, 36), (10**9, 34))


def mcep_dim_for_rate(sample_rate: int) -> int:
    return next(dim for limit, dim in _MCEP_DIM_BY_RATE if int(sample_rate) <= limit)


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("mcep_dim"):
        OmegaConf.register_new_resolver("mcep_dim", mcep_dim_for_rate)


register_resolvers()
