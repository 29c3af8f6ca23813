"""Import a file that is not on the path (an example script, a benchmark) as a module, for tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_file_module(path: Path, name: str | None = None) -> ModuleType:
    """Execute ``path`` as a fresh module named ``name`` (default: the file's stem)."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
