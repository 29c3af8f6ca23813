"""``rlvr serve``: a reward stack over HTTP (Starlette on uvicorn), for any trainer.

* ``POST /score`` - the TRL keyword contract as JSON (:mod:`rlvr.serve.protocol`);
* ``POST /get_reward`` - OpenRLHF's remote reward-model body;
* ``GET /health`` and ``GET /metrics`` (Prometheus text).

Scoring runs in worker processes (:mod:`rlvr.serve.stack_pool`), each holding the stack, so
CPU-bound rewards never queue behind the event loop. The client side is
:func:`rlvr.adapters.remote.remote_reward`. Importing this package is light: Starlette and
uvicorn are imported only by :func:`rlvr.serve.app.create_app` and :func:`rlvr.serve.server.serve`.
See ``docs/serve.md``.
"""

from __future__ import annotations

__all__ = ["ServeSettings"]

from rlvr.serve.settings import ServeSettings
