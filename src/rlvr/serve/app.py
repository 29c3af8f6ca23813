"""The Starlette application: routes, request-size limit, error mapping, lifespan.

Answers (all JSON except ``/metrics``):

* ``POST /score`` 200: ``{"n", "name", "names", "weights", "rewards": {name: {"weight", "values",
  "statuses"}}, "total", "statuses"}`` - every list has exactly n items, in request order; a value
  is a float or ``null`` (cannot judge: gold unparseable, sandbox down); ``total`` is the weighted
  sum over the rewards that could judge the row (``null`` when none could), as
  :class:`~rlvr.rewards.stack.RewardStack` computes it in-process.
* ``POST /get_reward`` 200: ``{"rewards": [...], "scores": [...], "extra_logs": {...}}`` (OpenRLHF):
  ``rewards`` = ``scores`` = the total with ``null`` replaced by ``none_as``; ``extra_logs`` holds
  each reward's values (same replacement) and ``rlvr_unjudged`` (1.0 where the total was ``null``).
* 400 ``{"error": ...}``: malformed JSON, a missing key, misaligned columns, a column the stack
  needs and the request lacks. 413: body over ``max_body_bytes``. 503: not ready yet, or a worker
  died (retry). 500: a bug in a reward (its traceback is logged, not sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from rlvr.serve.metrics import ServerMetrics
from rlvr.serve.protocol import RequestError, parse_json, parse_openrlhf, parse_score
from rlvr.serve.settings import ServeSettings
from rlvr.serve.stack_pool import PoolRestarted, StackPool

__all__ = ["create_app"]

log = logging.getLogger("rlvr.serve")


class _TooLarge(Exception):
    pass


async def _read_body(request: Any, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _TooLarge()
        except ValueError:
            raise RequestError(f"bad Content-Length header {declared!r}") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _score_answer(result: dict[str, Any], stack_name: str) -> dict[str, Any]:
    return {
        "n": len(result["total"]),
        "name": stack_name,
        "names": result["names"],
        "weights": result["weights"],
        "rewards": {n: {"weight": w, "values": result["values"][n], "statuses": result["statuses"][n]}
                    for n, w in zip(result["names"], result["weights"])},
        "total": result["total"],
        "statuses": result["total_statuses"],
    }


def _openrlhf_answer(result: dict[str, Any], none_as: float) -> dict[str, Any]:
    def fill(vals: list[Any]) -> list[Any]:
        return [none_as if v is None else v for v in vals]

    total = fill(result["total"])
    logs = {name: fill(result["values"][name]) for name in result["names"]}
    logs["rlvr_unjudged"] = [float(v is None) for v in result["total"]]
    return {"rewards": total, "scores": list(total), "extra_logs": logs}


def create_app(settings: ServeSettings, *, stack_info: dict[str, Any] | None = None) -> Any:
    """The ASGI app serving ``settings.spec``. ``stack_info`` (``describe_stack`` of a stack built
    in this process) names the stack on ``/health``; the workers build their own."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    metrics = ServerMetrics()
    state: dict[str, Any] = {"pool": None, "ready": asyncio.Event(), "warm_error": None, "warming": None}
    info = stack_info or {}

    async def _warm(pool: StackPool) -> None:
        try:
            state["warm_error"] = await asyncio.to_thread(pool.warm)
        except Exception as exc:  # noqa: BLE001 - reported on /health
            state["warm_error"] = f"worker start-up failed: {type(exc).__name__}: {exc}"
            log.error("rlvr serve: %s", state["warm_error"])
        metrics.ready = state["warm_error"] is None
        state["ready"].set()

    @contextlib.asynccontextmanager
    async def lifespan(app: Any):
        pool = StackPool(settings.spec, settings.workers, chunk_rows=settings.chunk_rows,
                         warm_timeout=settings.warm_timeout)
        state["pool"] = pool
        state["warming"] = asyncio.create_task(_warm(pool))
        try:
            yield
        finally:
            await asyncio.to_thread(pool.close)

    def _error(endpoint: str, code: int, message: str) -> Any:
        metrics.request(endpoint, code)
        return JSONResponse({"error": message}, status_code=code)

    async def _handle(request: Request, endpoint: str, parse, answer) -> Any:
        try:
            body = await _read_body(request, settings.max_body_bytes)
            batch = parse(parse_json(body))
        except _TooLarge:
            return _error(endpoint, 413, f"request body over the server's limit of {settings.max_body_bytes} "
                                         "bytes: send fewer rows per request (rlvr serve --max-body-mb)")
        except RequestError as exc:
            return _error(endpoint, 400, str(exc))
        await state["ready"].wait()
        metrics.in_flight += 1
        t0 = time.perf_counter()
        try:
            result = await state["pool"].score(batch)
        except RequestError as exc:
            return _error(endpoint, 400, str(exc))
        except PoolRestarted as exc:
            return _error(endpoint, 503, str(exc))
        except RuntimeError as exc:
            log.error("rlvr serve: a reward raised while scoring a request:\n%s", exc)
            return _error(endpoint, 500, "a reward raised an unexpected error (a bug: see the server log)")
        finally:
            metrics.in_flight -= 1
        metrics.scored(endpoint, result, time.perf_counter() - t0)
        metrics.request(endpoint, 200)
        return JSONResponse(answer(result))

    async def score(request: Request) -> Any:
        return await _handle(request, "/score", parse_score, lambda r: _score_answer(r, info.get("name", "")))

    async def get_reward(request: Request) -> Any:
        def parse(data: dict[str, Any]):
            return parse_openrlhf(data, label_column=settings.label_column, end_tokens=settings.end_tokens)

        return await _handle(request, "/get_reward", parse, lambda r: _openrlhf_answer(r, settings.none_as))

    async def health(request: Request) -> Any:
        ready = state["ready"].is_set() and state["warm_error"] is None
        body = {"ready": ready, "workers": settings.workers, **info}
        if state["warm_error"]:
            body["error"] = state["warm_error"]
        elif not state["ready"].is_set():
            body["status"] = "starting: building the reward stack in the workers / warming sandboxes"
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_route(request: Request) -> Any:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    routes = [Route("/score", score, methods=["POST"]), Route("/get_reward", get_reward, methods=["POST"]),
              Route("/health", health, methods=["GET"]), Route("/metrics", metrics_route, methods=["GET"])]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.metrics = metrics
    return app
