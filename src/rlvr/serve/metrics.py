"""Server counters exposed on ``GET /metrics`` in the Prometheus text format (version 0.0.4).

* ``rlvr_serve_requests_total{endpoint, code}`` - answered requests by HTTP status;
* ``rlvr_serve_rows_total{endpoint}`` - completions scored;
* ``rlvr_serve_reward_status_total{reward, status}`` - per-reward statuses (``total`` for the sum);
* ``rlvr_serve_request_seconds{endpoint, quantile}`` (+ ``_sum``, ``_count``) - latency of scored
  requests; quantiles 0.5/0.9/0.99 over the last 2048 requests of each endpoint;
* ``rlvr_serve_in_flight`` and ``rlvr_serve_ready`` gauges.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

__all__ = ["ServerMetrics"]

QUANTILES = (0.5, 0.9, 0.99)
WINDOW = 2048


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    idx = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[idx]


class ServerMetrics:
    """Thread-safe counters; :meth:`render` gives the Prometheus text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: collections.Counter[tuple[str, int]] = collections.Counter()
        self.rows: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[tuple[str, str]] = collections.Counter()
        self.latency: dict[str, collections.deque[float]] = {}
        self.latency_sum: collections.Counter[str] = collections.Counter()
        self.latency_count: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.ready = False

    def request(self, endpoint: str, code: int) -> None:
        with self._lock:
            self.requests[(endpoint, code)] += 1

    def scored(self, endpoint: str, result: dict[str, Any], seconds: float) -> None:
        with self._lock:
            self.rows[endpoint] += len(result["total"])
            for name in result["names"]:
                for status in result["statuses"][name]:
                    self.statuses[(name, status)] += 1
            for status in result["total_statuses"]:
                self.statuses[("total", status)] += 1
            self.latency.setdefault(endpoint, collections.deque(maxlen=WINDOW)).append(seconds)
            self.latency_sum[endpoint] += seconds
            self.latency_count[endpoint] += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP rlvr_serve_requests_total Requests answered, by endpoint and HTTP status code.",
                "# TYPE rlvr_serve_requests_total counter",
                *(f'rlvr_serve_requests_total{{endpoint="{_label(e)}",code="{c}"}} {v}'
                  for (e, c), v in sorted(self.requests.items())),
                "# HELP rlvr_serve_rows_total Completions scored, by endpoint.",
                "# TYPE rlvr_serve_rows_total counter",
                *(f'rlvr_serve_rows_total{{endpoint="{_label(e)}"}} {v}' for e, v in sorted(self.rows.items())),
                "# HELP rlvr_serve_reward_status_total Scores by reward and status (reward=\"total\": the stack).",
                "# TYPE rlvr_serve_reward_status_total counter",
                *(f'rlvr_serve_reward_status_total{{reward="{_label(r)}",status="{_label(s)}"}} {v}'
                  for (r, s), v in sorted(self.statuses.items())),
                "# HELP rlvr_serve_request_seconds Latency of scored requests.",
                "# TYPE rlvr_serve_request_seconds summary",
            ]
            for endpoint, window in sorted(self.latency.items()):
                ordered = sorted(window)
                e = _label(endpoint)
                lines += [f'rlvr_serve_request_seconds{{endpoint="{e}",quantile="{q}"}} {_quantile(ordered, q):.6f}'
                          for q in QUANTILES]
                lines.append(f'rlvr_serve_request_seconds_sum{{endpoint="{e}"}} {self.latency_sum[endpoint]:.6f}')
                lines.append(f'rlvr_serve_request_seconds_count{{endpoint="{e}"}} {self.latency_count[endpoint]}')
            lines += ["# HELP rlvr_serve_in_flight Requests being scored now.", "# TYPE rlvr_serve_in_flight gauge",
                      f"rlvr_serve_in_flight {self.in_flight}",
                      "# HELP rlvr_serve_ready 1 when the stack is built in every worker and sandboxes are warm.",
                      "# TYPE rlvr_serve_ready gauge", f"rlvr_serve_ready {int(self.ready)}"]
        return "\n".join(lines) + "\n"
