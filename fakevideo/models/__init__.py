"""Generators and discriminators: plain nn.Modules that know nothing of Lightning, Hydra or files."""
