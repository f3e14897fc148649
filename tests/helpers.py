"""Helpers shared by test modules: reading what a component tree shows."""

from __future__ import annotations

import pandas as pd


def text_of(component) -> str:
    """All the text a component tree shows, space-separated."""
    if isinstance(component, (str, int, float)):
        return str(component)
    children = getattr(component, "children", None)
    if children is None:
        return ""
    if not isinstance(children, (list, tuple)):
        children = [children]
    return " ".join(part for part in (text_of(child) for child in children) if part)


def card_texts(cards) -> list[str]:
    return [text_of(card) for card in cards]


def stored_table(name: str) -> pd.DataFrame:
    """Every row the current app's store holds of one table (tests only: the pages never
    read a whole table), with the contract's dtypes, in the table's time order."""
    from dashboard.data.manifest import PARTITION_COLUMNS
    from dashboard.data.store import store
    from simulator.schema import conform

    manifest = store.loaded()
    store.require(name)
    data_dir = store._data().data_dir
    frames = [pd.read_parquet(data_dir / file) for file in manifest.files(name)]
    table = conform(name, pd.concat(frames, ignore_index=True))
    column = PARTITION_COLUMNS.get(name)
    if column is not None:
        table = table.sort_values(column, kind="stable", ignore_index=True)
    return table
