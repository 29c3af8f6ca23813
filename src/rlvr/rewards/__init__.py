"""Named, configurable reward functions (extraction + verifier + scoring policy) and their registry.

Built-in reward modules are imported on the first registry lookup, not here.
"""
