"""LightningModules: one per training recipe. They receive their networks and optimisers from Hydra."""
