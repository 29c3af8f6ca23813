"""Running untrusted model-written code: a pooled, hardened Docker backend and a local backend."""
