"""Fast builders of pandas string columns (pyarrow-backed `string` dtype) from numpy codes.

Row-wise Python string formatting would dominate generation time at scale; these build the
Arrow buffers directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

_FOUR_DIGITS = np.frombuffer(
    "".join(f"{number:04d}" for number in range(10_000)).encode(), dtype=np.uint32
)


def numbered_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width ids such as `TS-000123` as a numpy bytes array (one `S` item per number)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if numbers.size and (numbers.min() < 0 or numbers.max() >= 10**width):
        raise ValueError(f"numbers do not fit in {width} digits")
    groups = -(-width // 4)
    digits = np.empty((numbers.size, groups), dtype=np.uint32)
    rest = numbers
    for group in range(groups - 1, -1, -1):  # a loop over 4-digit groups, not rows
        rest, low = np.divmod(rest, 10_000)
        digits[:, group] = _FOUR_DIGITS[low]
    text = digits.view(np.uint8).reshape(numbers.size, groups * 4)[:, groups * 4 - width :]
    head = prefix.encode()
    out = np.empty((numbers.size, len(head) + width), dtype=np.uint8)
    out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    out[:, len(head) :] = text
    return out.view(f"S{len(head) + width}").ravel()


def id_width(count: int, minimum: int) -> int:
    """Digits needed to number `count` items from 1, at least `minimum`."""
    return max(minimum, len(str(max(count, 1))))


def fixed_width_strings(
    values: np.ndarray, valid: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """A string array of the bytes array `values`, <NA> where `valid` is False.

    Every entry must fill the item width (no NUL padding).
    """
    width = values.dtype.itemsize
    size = values.size
    if valid is None:
        data = np.ascontiguousarray(values)
        offsets = np.arange(size + 1, dtype=np.int64) * width
        validity = None
    else:
        data = np.ascontiguousarray(values[valid])
        offsets = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(valid * np.int64(width), out=offsets[1:])
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.Array.from_buffers(
        pa.large_string(), size, [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return pd.array(array, dtype="string")


def label_strings(
    labels: Sequence[str], codes: np.ndarray, valid: np.ndarray | None = None
) -> pd.api.extensions.ExtensionArray:
    """A string array of `labels[codes]`, <NA> where `valid` is False."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    indices = pa.array(np.asarray(codes, dtype=np.int32), mask=mask)
    return pd.array(pa.array(list(labels), type=pa.large_string()).take(indices), dtype="string")


def repeated_labels(labels: Sequence[str], repeats: int) -> pd.api.extensions.ExtensionArray:
    """A string array of `labels` repeated `repeats` times in turn (l0, l1, ..., l0, l1, ...)."""
    blob = np.frombuffer("".join(labels).encode(), dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum([len(label.encode()) for label in labels])])
    offsets = np.empty(repeats * len(labels) + 1, dtype=np.int64)
    offsets[:-1] = (np.arange(repeats, dtype=np.int64)[:, None] * blob.size + starts[:-1]).ravel()
    offsets[-1] = repeats * blob.size
    array = pa.Array.from_buffers(
        pa.large_string(),
        repeats * len(labels),
        [None, pa.py_buffer(offsets), pa.py_buffer(np.tile(blob, repeats))],
    )
    return pd.array(array, dtype="string")
