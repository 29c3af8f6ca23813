"""Procedurally generated training tasks (seeded, always solvable, with gold solutions).

* :mod:`rlvr.tasks.countdown`: Countdown equation tasks (``target``/``nums`` columns).
"""

from __future__ import annotations

from rlvr.tasks.countdown import (
    CountdownTask,
    CountdownTaskConfig,
    countdown_prompt,
    countdown_rows,
    generate_countdown_task,
    generate_countdown_tasks,
    write_countdown_tasks,
)

__all__ = [
    "CountdownTask",
    "CountdownTaskConfig",
    "countdown_prompt",
    "countdown_rows",
    "generate_countdown_task",
    "generate_countdown_tasks",
    "write_countdown_tasks",
]
