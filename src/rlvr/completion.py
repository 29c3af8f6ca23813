"""Turn whatever a trainer or a JSONL row hands us into one text to judge.

Accepted completion shapes (TRL standard and conversational formats, parsed responses):

* ``str``: used as is.
* a message ``dict`` (``{"role": ..., "content": ...}``) or a list of them: the **last
  assistant message** is the completion (a list without roles: the last message). With
  tool calls TRL returns ``[assistant, tool, assistant, ...]``; the final answer is the last
  assistant turn.
* ``reasoning_content`` / ``thinking`` / ``reasoning`` on that message (transformers' response
  parsing moves the ``<think>`` text there, stripped) is rebuilt with :func:`rlvr.parsing.join`
  as ``<think>\nREASONING\n</think>\n`` + content, the layout the model actually wrote and the
  open-r1 format regex expects (``^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$``): the
  reasoning's surrounding whitespace and the content's leading whitespace are dropped, exactly
  one newline is put back on each side of both tags. The think tags are those of the
  :class:`~rlvr.parsing.TagSpec` passed as ``tags`` (a reward passes its own
  :meth:`~rlvr.rewards.base.Reward.tag_spec`), so the reward then finds the reasoning it expects.
* ``content`` given as a list of blocks (``[{"type": "text", "text": ...}, ...]``): text parts
  are joined.
* ``None`` reads as the empty completion (it then earns what an empty answer earns).
* ``int``/``float`` read as their ``str`` (a JSONL row with ``"completion": 42``).

Anything else (a dict without content, nested lists of lists, bytes, ...) raises
:class:`InvalidCompletion`; rewards turn that into a ``None`` score with status
``invalid_input`` instead of crashing the training step.
"""

from __future__ import annotations

from typing import Any

from rlvr.parsing import DEFAULT_TAGS, TagSpec, join

__all__ = ["InvalidCompletion", "completion_text", "prompt_text"]

_THINK_KEYS = ("reasoning_content", "thinking", "reasoning")


class InvalidCompletion(ValueError):
    """The value is not a completion shape rlvr understands."""


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text)
                elif block.get("type") not in (None, "text"):
                    continue  # image/audio blocks carry no text
                else:
                    raise InvalidCompletion(f"content block without text: {_short(block)}")
            else:
                raise InvalidCompletion(f"content block of type {type(block).__name__}")
        return "".join(parts)
    raise InvalidCompletion(f"message content of type {type(content).__name__}")


def _message_text(message: dict[str, Any], tags: TagSpec) -> str:
    if "content" not in message and not any(k in message for k in _THINK_KEYS):
        raise InvalidCompletion(f"message without 'content': {_short(message)}")
    text = _content_text(message.get("content"))
    for key in _THINK_KEYS:
        reasoning = message.get(key)
        if isinstance(reasoning, str) and reasoning:
            return join(reasoning, text, tags)
    return text


def _pick_message(messages: list[Any], role: str) -> dict[str, Any] | None:
    if not messages:
        return None
    for m in messages:
        if not isinstance(m, dict):
            raise InvalidCompletion(f"message list holds a {type(m).__name__}, not a dict")
    with_role = [m for m in messages if m.get("role") == role]
    if with_role:
        return with_role[-1]
    if any("role" in m for m in messages):
        return None
    return messages[-1]


def completion_text(completion: Any, *, tags: TagSpec = DEFAULT_TAGS, think_tag: str | None = None) -> str:
    """The text of a completion in any accepted shape (see module docstring).

    ``tags``: the think tags a parsed-out reasoning is rebuilt with (default ``<think>``);
    ``think_tag="reasoning"`` is short for ``tags=TagSpec.from_names("reasoning")``.

    Raises:
        InvalidCompletion: the value has no readable text.
    """
    if isinstance(completion, str):
        return completion
    if completion is None:
        return ""
    if think_tag is not None:
        tags = TagSpec.from_names(think_tag, None)
    if isinstance(completion, list):
        message = _pick_message(completion, "assistant")
        return "" if message is None else _message_text(message, tags)
    if isinstance(completion, dict):
        return _message_text(completion, tags)
    if isinstance(completion, (int, float)) and not isinstance(completion, bool):
        return str(completion)
    raise InvalidCompletion(f"completion of type {type(completion).__name__}")


def prompt_text(prompt: Any) -> str:
    """The text of a prompt: a string, or the last user message of a conversation.

    Never raises: an unreadable prompt reads as ``""`` (prompts are context, not judged).
    """
    if isinstance(prompt, str):
        return prompt
    try:
        if isinstance(prompt, list):
            message = _pick_message(prompt, "user")
            return "" if message is None else _content_text(message.get("content"))
        if isinstance(prompt, dict):
            return _content_text(prompt.get("content"))
    except InvalidCompletion:
        return ""
    return ""


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
