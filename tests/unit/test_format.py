"""The one formatter: missing names show as a dash or 'unknown', never as pandas' '<NA>'."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.components import format as fmt


@pytest.mark.parametrize("missing", [None, pd.NA, math.nan, pd.NaT, "", "  "])
def test_a_missing_name_shows_as_a_dash_or_the_word_asked_for(missing):
    assert fmt.text(missing) == fmt.DASH
    assert fmt.text(missing, fmt.UNKNOWN) == "unknown"


def test_a_name_shows_as_it_is():
    assert fmt.text("v5.2.1") == "v5.2.1"
    assert fmt.text(7) == "7"


def test_a_column_of_names_with_gaps():
    column = pd.Series(["v5.2.1", pd.NA, "", None], dtype="string")
    assert fmt.texts(column).tolist() == ["v5.2.1", fmt.DASH, fmt.DASH, fmt.DASH]
    assert fmt.texts(column.astype(object), "unknown").tolist()[1:] == ["unknown"] * 3
