"""``rlvr serve``: a real server process (the installed ``rlvr`` command) on 127.0.0.1, called over
HTTP: /score equals in-process scoring, /get_reward (OpenRLHF), 400/413, /health, /metrics,
concurrent clients, a dead worker, unknown rewards at start-up, and SIGTERM with a request in
flight. The helpers here are also used by test_adapters_remote.py and test_adapters_openrlhf.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rlvr import get_reward
from rlvr.rewards.build import build_stack

TESTS = Path(__file__).resolve().parent

if not os.environ.get("CI"):
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")


# --------------------------------------------------------------------------- test-only rewards (imported by
# the server's worker processes as ``test_serve:<name>`` with tests/ on PYTHONPATH)
def slow_echo(completions, delay=None, **kwargs):
    """1.0 per completion after sleeping ``delay[0]`` seconds (a request that stays in flight)."""
    if delay:
        time.sleep(float(delay[0]))
    return [1.0 for _ in completions]


def crash_on_demand(completions, crash=None, **kwargs):
    """Kills its worker process when the ``crash`` column says so (a worker dying mid-request)."""
    if crash and any(crash):
        os._exit(9)
    return [0.5 for _ in completions]


# --------------------------------------------------------------------------- server helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rlvr_command() -> list[str]:
    exe = shutil.which("rlvr")
    if exe is None:
        pytest.fail("the `rlvr` command is not installed (pip install -e .)")
    return [exe]


class Server:
    """A ``rlvr serve`` process on a free 127.0.0.1 port."""

    def __init__(self, *args: str, workers: int = 2, require_ready: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([*rlvr_command(), "serve", *args, "--port", str(self.port), "-j", str(workers),
                                      "--log-level", "warning"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise AssertionError(f"rlvr serve exited with {self.proc.returncode}:\n{out}")
            try:
                code, body = get(self.url + "/health")
                if code == 200 and body["ready"]:
                    break
                if not require_ready and "error" in body:  # start-up finished, but not ready (e.g. no sandbox)
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("rlvr serve did not become ready in 120 s")
            time.sleep(0.2)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc.stdout.close()
        return self.proc.returncode


def post(url: str, body, *, raw: bytes | None = None, timeout: float = 120) -> tuple[int, dict]:
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def get(url: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            text = resp.read().decode()
            code = resp.status
    except urllib.error.HTTPError as exc:
        text, code = exc.read().decode(), exc.code
    try:
        return code, json.loads(text)
    except ValueError:
        return code, text


STACK_ARGS = ("-r", "math_accuracy", "-r", "format=0.2", "--max-body-mb", "0.25")
STACK_SPEC = ["math_accuracy", "format=0.2"]


@pytest.fixture(scope="module")
def server():
    srv = Server(*STACK_ARGS)
    yield srv
    assert srv.stop() == 0


# rows an R1 model could write, right and wrong, plus hostile ones
ROWS = [
    ("<think>2+2</think><answer>\\boxed{4}</answer>", "4"),
    ("<think>hmm</think><answer>\\boxed{5}</answer>", "4"),
    ("The answer is \\boxed{\\frac{1}{2}}", "0.5"),
    ("<think>x</think><answer>no idea</answer>", "7"),
    ("", "1"),
    ("\\boxed{" * 2000, "3"),  # unbalanced, 14 KB
    ([{"role": "assistant", "content": "<think>a</think><answer>\\boxed{6}</answer>"}], "6"),
    ([{"role": "user"}], "2"),  # a malformed chat message list
    (12345, "12345"),  # not a completion at all
    ("<think>" + "a" * 20000 + "</think><answer>\\boxed{9}</answer>", "9"),
]
COMPLETIONS = [c for c, _ in ROWS]
SOLUTIONS = [s for _, s in ROWS]


def test_score_equals_in_process_values(server):
    code, body = post(server.url + "/score", {"completions": COMPLETIONS, "solution": SOLUTIONS,
                                              "level": ["x"] * len(ROWS)})
    assert code == 200, body
    n = len(ROWS)
    assert body["n"] == n and body["names"] == ["math_accuracy", "format"] and body["weights"] == [1.0, 0.2]
    for name in ("math_accuracy", "format"):
        scores = get_reward(name).score_batch(COMPLETIONS, solution=SOLUTIONS)
        assert body["rewards"][name]["values"] == [s.value for s in scores], name
        assert body["rewards"][name]["statuses"] == [s.status.value for s in scores], name
    stack = build_stack(STACK_SPEC)
    assert body["total"] == stack(completions=COMPLETIONS, solution=SOLUTIONS)
    assert len(body["statuses"]) == n
    assert body["rewards"]["math_accuracy"]["values"][:3] == [1.0, 0.0, 1.0]  # sanity: real judgements


def test_score_with_prompts_and_completion_ids(server):
    completions = ["<think>a</think><answer>\\boxed{4}</answer>"] * 2
    code, body = post(server.url + "/score", {"completions": completions, "prompts": ["q", "q"],
                                              "completion_ids": [[1, 2], [3]], "solution": ["4", "3"]})
    assert code == 200, body
    assert body["rewards"]["math_accuracy"]["values"] == [1.0, 0.0]
    assert body["total"] == [1.2, 0.2]


def test_empty_batch(server):
    code, body = post(server.url + "/score", {"completions": [], "solution": []})
    assert code == 200 and body["n"] == 0 and body["total"] == [] and body["rewards"]["format"]["values"] == []


def test_get_reward_openrlhf_body(server):
    prompt = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    good = prompt + "<think>2+2=4</think><answer>\\boxed{4}</answer><|im_end|>"
    bad = prompt + "<think>hm</think><answer>\\boxed{5}</answer><|im_end|>"
    code, body = post(server.url + "/get_reward", {"query": [good, bad, "garbage \\boxed{"], "prompts": [prompt] * 3,
                                                   "labels": ["4", "4", "4"]})
    assert code == 200, body
    assert body["rewards"] == [1.2, 0.2, 0.0]
    assert body["scores"] == body["rewards"]
    assert body["extra_logs"]["math_accuracy"] == [1.0, 0.0, 0.0]
    assert body["extra_logs"]["format"] == [1.0, 1.0, 0.0]  # the trailing <|im_end|> is not held against it
    assert body["extra_logs"]["rlvr_unjudged"] == [0.0, 0.0, 0.0]


def test_get_reward_unjudgeable_gold_is_none_as(server):
    code, body = post(server.url + "/get_reward", {"query": ["q \\boxed{4}"], "prompts": ["q "],
                                                   "labels": [""]})
    assert code == 200, body
    # math_accuracy cannot parse the gold (None) but format judged the row: total = 0.2 * 0
    assert body["extra_logs"]["math_accuracy"] == [0.0] and body["rewards"] == [0.0]


@pytest.mark.parametrize("payload, needle", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"", "empty request body"),
    (json.dumps({"prompts": ["a"]}).encode(), "missing 'completions'"),
    (json.dumps({"completions": "abc"}).encode(), "'completions' must be a list"),
    (json.dumps({"completions": ["a", "b"], "solution": ["1"]}).encode(), "'solution' has 1 items for 2"),
    (json.dumps({"completions": ["a"], "prompts": ["p", "q"], "solution": ["1"]}).encode(), "'prompts' has 2"),
    (json.dumps({"completions": ["a"], "solution": "1"}).encode(), "'solution' must be a list"),
    (json.dumps({"completions": ["a"]}).encode(), "solution"),  # the stack needs a column the request lacks
    (b"[" * 100_000 + b"]" * 100_000, "too deeply"),
    (b"\xff\xfe{", "not valid JSON"),
])
def test_score_bad_requests_are_400_naming_the_problem(server, payload, needle):
    code, body = post(server.url + "/score", None, raw=payload)
    assert code == 400, body
    assert needle in body["error"]


def test_get_reward_bad_requests_are_400(server):
    code, body = post(server.url + "/get_reward", {"queries": ["a"]})
    assert code == 400 and "missing 'query'" in body["error"]
    code, body = post(server.url + "/get_reward", {"query": ["a", "b"], "prompts": ["a"], "labels": ["1", "2"]})
    assert code == 400 and "'prompts' has 1 items for 2" in body["error"]
    code, body = post(server.url + "/get_reward", {"query": [3], "labels": ["1"]})
    assert code == 400 and "'query'[0] must be a string" in body["error"]


def test_oversized_body_is_413_and_server_keeps_serving(server):
    big = "x" * 300_000  # over the 0.25 MB limit
    code, body = post(server.url + "/score", {"completions": [big], "solution": ["1"]})
    assert code == 413 and "limit" in body["error"]
    code, body = post(server.url + "/score", {"completions": ["\\boxed{1}"], "solution": ["1"]})
    assert code == 200 and body["rewards"]["math_accuracy"]["values"] == [1.0]


def test_health_and_metrics(server):
    code, body = get(server.url + "/health")
    assert code == 200 and body["ready"] is True and body["names"] == ["math_accuracy", "format"]
    before = _metric(server, 'rlvr_serve_rows_total{endpoint="/score"}')
    post(server.url + "/score", {"completions": ["\\boxed{1}", "\\boxed{2}", "x"], "solution": ["1", "1", "1"]})
    post(server.url + "/score", {"completions": ["x"]})  # a 400
    code, text = get(server.url + "/metrics")
    assert code == 200 and isinstance(text, str)
    assert _metric(server, 'rlvr_serve_rows_total{endpoint="/score"}') == before + 3
    assert _metric(server, 'rlvr_serve_requests_total{endpoint="/score",code="400"}') >= 1
    assert _metric(server, 'rlvr_serve_reward_status_total{reward="math_accuracy",status="correct"}') >= 1
    assert _metric(server, 'rlvr_serve_reward_status_total{reward="math_accuracy",status="wrong"}') >= 1
    for q in ("0.5", "0.9", "0.99"):
        assert _metric(server, f'rlvr_serve_request_seconds{{endpoint="/score",quantile="{q}"}}') > 0
    assert _metric(server, "rlvr_serve_ready") == 1
    # every sample line is `name{labels} number` (Prometheus text format)
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            float(value)
            assert name.startswith("rlvr_serve_")


def _metric(server, key: str) -> float:
    _, text = get(server.url + "/metrics")
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_concurrent_clients_get_their_own_answers(server):
    def one(i: int):
        completions = [f"<think>t</think><answer>\\boxed{{{i + k}}}</answer>" for k in range(20)]
        solutions = [str(i + k) if k % 2 == 0 else "-1" for k in range(20)]
        code, body = post(server.url + "/score", {"completions": completions, "solution": solutions})
        return i, code, body

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(16)))
    for i, code, body in results:
        assert code == 200, body
        assert body["rewards"]["math_accuracy"]["values"] == [1.0 if k % 2 == 0 else 0.0 for k in range(20)], i
        assert body["total"] == [1.2 if k % 2 == 0 else 0.2 for k in range(20)]


def test_cpu_bound_requests_run_in_parallel_workers():
    """Two slow requests on a 2-worker server take about one request's time, not two."""
    srv = Server("-r", "test_serve:slow_echo", workers=2)
    try:
        body = {"completions": ["a"], "delay": [1.5]}
        t0 = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: post(srv.url + "/score", body), range(2)))
        elapsed = time.monotonic() - t0
        assert all(code == 200 and b["total"] == [1.0] for code, b in results)
        assert elapsed < 2.8, f"two 1.5 s requests took {elapsed:.2f} s: they were serialised"
    finally:
        assert srv.stop() == 0


def test_dead_worker_gives_503_then_the_pool_recovers():
    srv = Server("-r", "test_serve:crash_on_demand", workers=1)
    try:
        code, body = post(srv.url + "/score", {"completions": ["a"], "crash": [True]})
        assert code == 503 and "retry" in body["error"]
        code, body = post(srv.url + "/score", {"completions": ["a", "b"], "crash": [False, False]})
        assert code == 200 and body["total"] == [0.5, 0.5]
    finally:
        assert srv.stop() == 0


def test_sigterm_finishes_the_request_in_flight():
    srv = Server("-r", "test_serve:slow_echo", workers=1)
    result: dict = {}

    def call():
        result["answer"] = post(srv.url + "/score", {"completions": ["a", "b"], "delay": [3.0, 3.0]})

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 30
    while _metric(srv, "rlvr_serve_in_flight") < 1:  # wait until the request is being scored
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.05)
    srv.proc.send_signal(signal.SIGTERM)
    thread.join(30)
    assert result["answer"] == (200, result["answer"][1]) and result["answer"][1]["total"] == [1.0, 1.0]
    assert srv.proc.wait(30) == 0
    srv.stop()
    with pytest.raises(OSError):
        get(srv.url + "/health")  # and it is gone


def test_unknown_reward_exits_2_listing_the_names():
    proc = subprocess.run([*rlvr_command(), "serve", "-r", "math_acuracy", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "math_acuracy" in proc.stderr and "math_accuracy" in proc.stderr and "format" in proc.stderr


def test_serve_needs_rewards_or_config():
    proc = subprocess.run([*rlvr_command(), "serve"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--config" in proc.stderr


def test_serve_config_file(tmp_path):
    cfg = tmp_path / "stack.json"
    cfg.write_text(json.dumps({"name": "r1", "rewards": [{"name": "math_accuracy", "weight": 2.0},
                                                          {"name": "format", "weight": 0.5}]}))
    srv = Server("--config", str(cfg), workers=1)
    try:
        code, body = post(srv.url + "/score", {"completions": ["<think>a</think><answer>\\boxed{3}</answer>"],
                                               "solution": ["3"]})
        assert code == 200 and body["name"] == "r1" and body["total"] == [2.5]
    finally:
        assert srv.stop() == 0
    assert sys.executable  # the server ran as the installed command, not in this interpreter


CODE_INFO = {"test_cases": [{"input": "2 3\n", "output": "5\n", "type": "stdin_stdout"}]}
GOOD_CODE = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"


def test_health_waits_for_a_warm_sandbox_pool(tmp_path):
    cfg = tmp_path / "code.json"
    cfg.write_text(json.dumps({"rewards": [{"name": "code_tests", "params": {"backend": "local", "pool_size": 1}}]}))
    srv = Server("--config", str(cfg), workers=1)  # returns once /health said ready: the pool is warm
    try:
        code, body = post(srv.url + "/score", {"completions": [GOOD_CODE, "```python\nprint(4)\n```"],
                                               "verification_info": [CODE_INFO, CODE_INFO]})
        assert code == 200, body
        assert body["rewards"]["code_tests"]["values"] == [1.0, 0.0]
        assert body["rewards"]["code_tests"]["statuses"] == ["correct", "wrong"]
    finally:
        assert srv.stop() == 0


def test_health_is_503_when_the_sandbox_cannot_start(tmp_path):
    cfg = tmp_path / "code.json"
    cfg.write_text(json.dumps({"rewards": [{"name": "code_tests", "params": {
        "backend": "docker", "image": "rlvr-no-such-image:never", "pool_size": 1}}]}))
    srv = Server("--config", str(cfg), workers=1, require_ready=False)
    try:
        code, body = get(srv.url + "/health")
        assert code == 503 and body["ready"] is False and "sandbox unavailable" in body["error"]
        # scoring still answers: the sandbox is down, which is not the submission's fault -> null, sandbox_error
        code, body = post(srv.url + "/score", {"completions": [GOOD_CODE], "verification_info": [CODE_INFO]})
        assert code == 200 and body["total"] == [None]
        assert body["rewards"]["code_tests"]["statuses"] == ["sandbox_error"]
    finally:
        assert srv.stop() == 0
