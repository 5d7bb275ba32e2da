"""Running a training job from a composed config: one Lightning trainer for every model."""
