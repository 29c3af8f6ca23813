"""Run the app under uvicorn (``rlvr serve``).

uvicorn handles SIGTERM/SIGINT: it stops accepting connections, lets in-flight requests finish
(up to ``graceful_timeout`` seconds), then the app's lifespan shuts the worker pool down.
"""

from __future__ import annotations

import logging
from typing import Any

from rlvr.serve.settings import ServeSettings

__all__ = ["serve"]


def serve(settings: ServeSettings, *, host: str = "127.0.0.1", port: int = 8000, graceful_timeout: float = 120.0,
          log_level: str = "info", stack_info: dict[str, Any] | None = None) -> None:
    """Serve until SIGTERM/SIGINT (blocks). After a SIGTERM's graceful shutdown it returns normally
    (exit status 0); uvicorn re-raises the signal it caught, so SIGTERM's handler must be a no-op."""
    import signal

    import uvicorn

    from rlvr.serve.app import create_app

    logging.getLogger("rlvr").setLevel(logging.INFO if log_level in ("info", "debug") else logging.WARNING)
    app = create_app(settings, stack_info=stack_info)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=graceful_timeout, access_log=log_level == "debug")
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.Server(config).run()
