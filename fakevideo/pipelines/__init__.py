"""End-to-end pipelines: voice conversion, face swap, the full fake video."""
