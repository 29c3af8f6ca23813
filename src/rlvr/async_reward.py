"""The async view of any reward callable with the TRL contract (standard library only, so the
light HTTP client in :mod:`rlvr.adapters.remote` can use it without importing the rewards)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["AsyncReward"]


class AsyncReward:
    """Async view of a reward callable with the TRL contract (a :class:`~rlvr.rewards.base.Reward`,
    a stack, or an adapter's remote/Ray reward): same ``__name__``; the call runs in a worker
    thread (TRL >= 0.27 awaits async reward functions concurrently); picklable when the reward is."""

    def __init__(self, reward: Callable[..., list[float | None]]):
        self.reward = reward
        self.__name__ = reward.__name__

    async def __call__(self, prompts=None, completions=None, completion_ids=None, **kwargs: Any) -> list[float | None]:
        return await asyncio.to_thread(self.reward, prompts=prompts, completions=completions,
                                       completion_ids=completion_ids, **kwargs)
