"""Dataset layouts: public datasets' own schemas -> a chat ``prompt`` plus the columns rlvr's rewards read.

::

    from rlvr.layouts import load_layout
    rows, report = load_layout("openai/gsm8k", "gsm8k", config="main", limit=1000)
    rows[0]  # {"prompt": [{"role": "system", ...}, {"role": "user", ...}], "solution": "72"}

| layout | dataset | writes |
|---|---|---|
| ``gsm8k`` | ``openai/gsm8k`` (``main``) | ``solution`` |
| ``openr1_math`` | ``open-r1/OpenR1-Math-220k`` | ``solution`` |
| ``math_boxed`` | MATH (``DigitalLearningGmbH/MATH-lighteval``) | ``solution`` |
| ``countdown`` | ``Jiayi-Pan/Countdown-Tasks-3to4`` | ``target``, ``nums`` |
| ``verifiable_code`` | ``open-r1/verifiable-coding-problems-python`` | ``verification_info`` |
| ``apps`` | ``codeparrot/apps`` | ``verification_info`` |
| ``livecodebench`` | ``livecodebench/code_generation_lite`` | ``verification_info`` |
| ``bespoke_stratos`` | ``bespokelabs/Bespoke-Stratos-17k`` | ``completion`` (SFT) |
| ``openr1_math_sft`` | ``open-r1/OpenR1-Math-220k`` generations | ``completion`` (SFT) |
| ``sft_messages`` | local chat JSONL (rejection-sampling output) | ``completion`` (SFT) |

Rows are plain, JSON-serialisable dicts, ready for ``datasets.Dataset.from_list`` and TRL's
conversational format. Nothing here imports ``datasets`` until a Hub or Parquet source is read.
"""

from __future__ import annotations

from rlvr.layouts import code, countdown, math, sft  # noqa: F401  (register the layouts)
from rlvr.layouts.base import LAYOUTS, ConversionReport, Layout, LayoutError, convert_rows, get_layout
from rlvr.layouts.code import decode_lcb_private_tests
from rlvr.layouts.loading import DatasetLoadError, load_layout, read_local_rows
from rlvr.layouts.math import gsm8k_final_answer
from rlvr.layouts.prompts import (
    CODE_SYSTEM_PROMPT,
    COUNTDOWN_SYSTEM_PROMPT,
    MATH_SYSTEM_PROMPT,
    REASONING_SYSTEM_PROMPT,
    chat_prompt,
    countdown_user_prompt,
)
from rlvr.layouts.sft import stratos_to_think_answer, think_answer

__all__ = [
    "CODE_SYSTEM_PROMPT",
    "COUNTDOWN_SYSTEM_PROMPT",
    "LAYOUTS",
    "MATH_SYSTEM_PROMPT",
    "REASONING_SYSTEM_PROMPT",
    "ConversionReport",
    "DatasetLoadError",
    "Layout",
    "LayoutError",
    "chat_prompt",
    "convert_rows",
    "countdown_user_prompt",
    "decode_lcb_private_tests",
    "get_layout",
    "gsm8k_final_answer",
    "load_layout",
    "read_local_rows",
    "stratos_to_think_answer",
    "think_answer",
]
