"""Suite-wide fixtures."""

from __future__ import annotations

import logging

import pytest


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
