"""The layout registry: :class:`Layout`, :func:`get_layout`, :func:`convert_rows`.

A *converter* turns one row of a public dataset into one row of ours, or returns ``None`` when the
row cannot be used (a GSM8K answer without ``####``, a proof problem, a truncated reply, tests that
cannot be read): those rows are counted and skipped, never guessed. A row missing a column its
layout needs raises :class:`LayoutError` naming the columns it has (the usual cause: the wrong
layout for the dataset).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["LAYOUTS", "ConversionReport", "Layout", "LayoutError", "convert_rows", "get_layout", "need"]

Row = Mapping[str, Any]
Converter = Callable[[Row, str], "dict[str, Any] | None"]


class LayoutError(ValueError):
    """A row does not have the columns its layout needs, or the layout is unknown."""


@dataclass(frozen=True)
class Layout:
    """One dataset layout.

    Attributes:
        name: the registry key (``"gsm8k"``).
        kind: ``"rl"`` rows are ``prompt`` + the reward's reference columns; ``"sft"`` rows are
            ``prompt`` + ``completion`` (chat message lists, what TRL's SFTTrainer takes).
        convert: ``convert(row, system_prompt) -> row | None``.
        system_prompt: the default system prompt of the layout.
        hub_id: the Hugging Face dataset it reads (with the config name when one is needed).
        columns: the output columns besides ``prompt``.
    """

    name: str
    kind: Literal["rl", "sft"]
    convert: Converter
    system_prompt: str
    hub_id: str
    columns: tuple[str, ...]


LAYOUTS: dict[str, Layout] = {}


def register_layout(layout: Layout) -> Layout:
    if layout.name in LAYOUTS:
        raise LayoutError(f"layout {layout.name!r} is registered twice")
    LAYOUTS[layout.name] = layout
    return layout


def need(row: Row, layout: str, *keys: str) -> None:
    """Raise :class:`LayoutError` when ``row`` lacks any of ``keys``."""
    missing = [k for k in keys if k not in row]
    if missing:
        raise LayoutError(
            f"layout {layout!r} needs column(s) {missing}, but the row has {sorted(row)}. "
            f"Is it the right layout for this dataset? (layouts: {', '.join(sorted(LAYOUTS))})"
        )


def get_layout(name: str) -> Layout:
    """The registered layout ``name``; :class:`LayoutError` lists the known ones otherwise."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise LayoutError(f"unknown layout {name!r}; known layouts: {', '.join(sorted(LAYOUTS))}") from None


@dataclass
class ConversionReport:
    """How many rows a conversion kept and skipped."""

    kept: int = 0
    skipped: int = 0


def convert_rows(rows: Iterable[Row], layout: str, system_prompt: str | None = None,
                 *, limit: int | None = None) -> tuple[list[dict[str, Any]], ConversionReport]:
    """Convert ``rows`` (dicts, a ``datasets.Dataset``, any iterable of mappings).

    Args:
        rows: rows in the dataset's own schema.
        layout: a name from :data:`LAYOUTS`.
        system_prompt: ``None`` uses the layout's default; ``""`` means no system turn.
        limit: stop after this many *kept* rows.

    Returns:
        The kept rows (plain dicts, JSON-serialisable) and a :class:`ConversionReport`.

    Raises:
        LayoutError: unknown layout, a row that is not a mapping, or a row missing a column the
            layout needs (the message names the row index and its columns).
    """
    lay = get_layout(layout)
    prompt = lay.system_prompt if system_prompt is None else system_prompt
    out: list[dict[str, Any]] = []
    report = ConversionReport()
    for i, row in enumerate(rows):
        if limit is not None and report.kept >= limit:
            break
        if not isinstance(row, Mapping):
            raise LayoutError(f"row {i} is {type(row).__name__}, not a mapping")
        try:
            converted = lay.convert(row, prompt)
        except LayoutError as exc:
            raise LayoutError(f"row {i}: {exc}") from None
        if converted is None:
            report.skipped += 1
        else:
            out.append(converted)
            report.kept += 1
    return out, report
