"""Edges to training frameworks: TRL / Unsloth batch callables, veRL ``compute_score``."""
