"""Suite-wide fixtures."""

from __future__ import annotations

import logging
import os

import pytest

# tests/verl_env/ needs veRL's own environment (build/verl-site first on the path): it runs through
# tests/test_adapters_verl_package.py in a subprocess that sets RLVR_VERL_ENV=1.
collect_ignore = [] if os.environ.get("RLVR_VERL_ENV") == "1" else ["verl_env"]


@pytest.fixture(autouse=True)
def _restore_rlvr_logger():
    """Tests that call ``rlvr.cli.main`` in-process configure the ``rlvr`` logger the way the
    command does (level ERROR, no propagation); put it back so a later test's ``caplog`` sees
    the warnings it asserts on whatever order the suite runs in."""
    logger = logging.getLogger("rlvr")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    yield
    logger.setLevel(saved[0])
    logger.propagate = saved[1]
    logger.handlers[:] = saved[2]
