"""A reward served by ``rlvr serve``, as a TRL/Unsloth reward function: :func:`remote_reward`.

The trainer (a GPU box) posts each batch to the server's ``/score`` (which may hold the Docker
sandbox, on another machine) and gets the stack's weighted total back::

    from rlvr.adapters.remote import remote_reward
    reward = remote_reward("http://rewards:8000", name="r1_stack")
    GRPOTrainer(..., reward_funcs=[reward])            # or [reward.as_async()] on TRL >= 0.27

HTTP client: the standard library's :mod:`urllib.request`. The trainer side then needs no extra
package, the callable stays trivially picklable (no client or connection pool to carry into
TRL's spawned processes), and one new loopback/LAN connection per batch costs far less than
scoring the batch (see ``benchmarks/bench_serve.py``).

Failure policy (a training step never raises for anything the model wrote or the network did):

* connection refused/reset, timeouts, 5xx: retried ``retries`` times with exponential backoff;
  when the server stays down every value is ``None`` (a cause outside the submission; TRL >= 1.6
  drops those rows) and a warning with the cause is logged;
* 413 (a batch over the server's size limit): the batch is split in halves and each half sent
  again; a single completion still too large scores ``0.0`` (the model wrote it);
* 400 (the server cannot use the request: a column the stack needs is missing, misaligned
  columns) is a configuration error: :class:`RemoteRewardError` naming the server's message.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from rlvr.async_reward import AsyncReward

__all__ = ["AsyncRemoteReward", "RemoteReward", "RemoteRewardError", "remote_reward"]

log = logging.getLogger("rlvr.remote")

#: keywords TRL passes that are not dataset columns
_NOT_COLUMNS = frozenset({"trainer_state", "log_extra", "log_metric"})
_RETRY_CODES = frozenset({408, 429, 500, 502, 503, 504})


class RemoteRewardError(RuntimeError):
    """The server refused the request as malformed (HTTP 400): a configuration error to fix."""


class _TooLarge(Exception):
    pass


class _Unavailable(Exception):
    pass


def _plain(value: Any) -> Any:
    """Tensors / numpy arrays / tuples as JSON-ready lists."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class RemoteReward:
    """A TRL/Unsloth reward function backed by an ``rlvr serve`` server (see :func:`remote_reward`).

    Calling it returns exactly ``len(completions)`` values: the server's weighted ``total``
    (``float`` or ``None``), with ``None`` replaced by ``none_as`` when that is set.
    """

    def __init__(self, url: str, *, name: str | None = None, timeout: float = 300.0, retries: int = 3,
                 columns: Sequence[str] | None = None, none_as: float | None = None, backoff: float = 0.5):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"remote_reward needs an http:// or https:// URL of an rlvr serve server, got {url!r}")
        base = url.rstrip("/")
        self.url = base if base.endswith("/score") else base + "/score"
        self.__name__ = name or "remote_reward"
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.columns = None if columns is None else tuple(columns)
        self.none_as = none_as
        self.backoff = float(backoff)
        self._skipped_columns: set[str] = set()

    # ------------------------------------------------------------------ TRL contract
    def __call__(self, prompts=None, completions=None, completion_ids=None, **kwargs: Any) -> list[float | None]:
        completions = list(completions or [])
        n = len(completions)
        if n == 0:
            return []
        body: dict[str, Any] = {"completions": _plain(completions)}
        if prompts is not None:
            body["prompts"] = _plain(prompts)
        if completion_ids is not None:
            body["completion_ids"] = _plain(completion_ids)
        body.update(self._columns(kwargs))
        result = self._score(body, n)
        values = result["total"]
        if self.none_as is not None:
            values = [self.none_as if v is None else v for v in values]
        self._report(result, kwargs.get("log_extra"), kwargs.get("log_metric"))
        return values

    def as_async(self) -> AsyncReward:
        """The same reward with a coroutine ``__call__`` (TRL >= 0.27 awaits async rewards
        concurrently, so the HTTP round trip overlaps the other rewards)."""
        return AsyncReward(self)

    def __repr__(self) -> str:
        return f"<RemoteReward {self.__name__!r} -> {self.url}>"

    # ------------------------------------------------------------------ internals
    def _columns(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in kwargs.items():
            if key in _NOT_COLUMNS or (self.columns is not None and key not in self.columns):
                continue
            value = _plain(value)
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                if key not in self._skipped_columns:
                    self._skipped_columns.add(key)
                    log.warning("rlvr remote_reward %s: column %r is not JSON-serialisable; not sent (pass "
                                "columns=[...] to choose the columns explicitly)", self.__name__, key)
                continue
            out[key] = value
        return out

    def _score(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        """The server's answer for ``body`` (n rows); unavailable -> all None."""
        try:
            return self._post_split(body, n)
        except _Unavailable as exc:
            log.warning("rlvr remote_reward %s: %s: %d value(s) are None (status sandbox_error: the reward "
                        "server is unavailable, not the model's fault)", self.__name__, exc, n)
            return {"total": [None] * n, "statuses": ["sandbox_error"] * n, "rewards": {}}

    def _post_split(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        try:
            return self._post(body, n)
        except _TooLarge:
            if n == 1:
                log.warning("rlvr remote_reward %s: one completion is larger than the server accepts; it scores 0.0",
                            self.__name__)
                return {"total": [0.0], "statuses": ["invalid_input"], "rewards": {}}
        half = n // 2
        parts = [self._post_split(_slice(body, 0, half), half), self._post_split(_slice(body, half, n), n - half)]
        return _concat(parts)

    def _post(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        last = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(30.0, self.backoff * 2 ** (attempt - 1)))
            req = urllib.request.Request(self.url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    answer = json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                detail = _error_text(exc)
                if exc.code == 413:
                    raise _TooLarge() from None
                if exc.code in _RETRY_CODES:
                    last = f"HTTP {exc.code} from {self.url}: {detail}"
                    continue
                raise RemoteRewardError(f"{self.url} refused the request (HTTP {exc.code}): {detail}") from None
            except (urllib.error.URLError, OSError, TimeoutError) as exc:  # refused, reset, timed out
                last = f"{self.url} unreachable after {attempt + 1} attempt(s): {getattr(exc, 'reason', exc)}"
                continue
            except ValueError as exc:  # a body that is not JSON: not an rlvr server, or cut short
                last = f"{self.url} sent a body that is not JSON: {exc}"
                continue
            total = answer.get("total") if isinstance(answer, dict) else None
            if not isinstance(total, list) or len(total) != n:
                last = f"{self.url} answered {len(total) if isinstance(total, list) else 'no'} totals for {n} rows"
                continue
            return answer
        raise _Unavailable(last)

    def _report(self, result: dict[str, Any], log_extra: Any, log_metric: Any) -> None:
        statuses = result.get("statuses") or []
        if log_extra is not None:
            log_extra(f"{self.__name__}_status", list(statuses))
        if log_metric is not None and statuses:
            totals = result["total"]
            log_metric(f"rlvr/{self.__name__}/unjudged_frac", sum(v is None for v in totals) / len(totals))
            for rname, part in (result.get("rewards") or {}).items():
                vals = [v for v in part.get("values", []) if v is not None]
                log_metric(f"rlvr/{self.__name__}/{rname}", sum(vals) / len(vals) if vals else 0.0)


#: the async view of a :class:`RemoteReward` is the generic :class:`rlvr.async_reward.AsyncReward` (old name kept)
AsyncRemoteReward = AsyncReward


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read()
        data = json.loads(raw)
        return str(data.get("error", data)) if isinstance(data, dict) else str(data)
    except Exception:  # noqa: BLE001 - best effort: the status code is reported anyway
        return exc.reason if isinstance(exc.reason, str) else ""


def _slice(body: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    return {k: v[start:stop] for k, v in body.items()}


def _concat(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"total": [], "statuses": [], "rewards": {}}
    for part in parts:
        out["total"].extend(part["total"])
        out["statuses"].extend(part.get("statuses") or [None] * len(part["total"]))
    names = {name for part in parts for name in (part.get("rewards") or {})}
    for name in names:
        vals: list[Any] = []
        for part in parts:
            vals.extend(((part.get("rewards") or {}).get(name) or {}).get("values") or [None] * len(part["total"]))
        out["rewards"][name] = {"values": vals}
    return out


def remote_reward(url: str, *, name: str | None = None, timeout: float = 300.0, retries: int = 3,
                  columns: Sequence[str] | None = None, none_as: float | None = None) -> RemoteReward:
    """A TRL/Unsloth reward function that scores each batch on an ``rlvr serve`` server.

    Args:
        url: the server (``http://host:port``; ``/score`` is appended unless present).
        name: the callable's ``__name__`` (TRL logs ``rewards/<name>/mean``); default ``remote_reward``.
        timeout: seconds per HTTP attempt (the whole batch is scored within one attempt).
        retries: further attempts after a connection error, a timeout or a 5xx (backoff 0.5 s, 1 s, 2 s, ...).
        columns: the dataset columns to send; default ``None`` sends every column TRL passes
            (except ``trainer_state``/``log_*``; a column that is not JSON-serialisable is skipped
            with one warning).
        none_as: value returned instead of ``None`` (Unsloth and TRL < 1.6 need a number).

    Returns a picklable callable with a stable ``__name__``; ``.as_async()`` gives the coroutine form.
    """
    return RemoteReward(url, name=name, timeout=timeout, retries=retries, columns=columns, none_as=none_as)
