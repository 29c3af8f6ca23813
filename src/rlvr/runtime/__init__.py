"""Infrastructure for running work that may hang or crash, outside the caller's process.

* :mod:`rlvr.runtime.deadline_pool` - :class:`~rlvr.runtime.deadline_pool.DeadlinePool`:
  persistent worker processes with hard, kill-and-respawn deadlines, usable from any thread
  and after ``fork`` (what :mod:`rlvr.math` runs sympy in).
* :mod:`rlvr.runtime.deadline_worker` - the worker process's entry point (never run by hand).

Nothing here judges anything: the handlers are named by ``"module:function"`` strings and the
results come back as plain data. (:mod:`rlvr.verifiers` is pure judgement without I/O; process
management lives here.)
"""
