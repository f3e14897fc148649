"""The caches do not grow without bound: entry limits and time-to-live, as configured."""

from __future__ import annotations

import time

import pytest

from dashboard import create_app
from dashboard.callbacks import training
from dashboard.callbacks.views import ViewMemo, views_of_app
from dashboard.config import settings_from_env
from dashboard.data import queries
from dashboard.data.cache import cache
from simulator.generate import _day_plan
from tests.conftest import testing_config


def test_the_cache_has_an_entry_limit_and_a_timeout_by_default():
    settings = settings_from_env({})
    assert settings["CACHE_THRESHOLD"] == 500
    assert settings["CACHE_DEFAULT_TIMEOUT"] == 300
    assert settings["VIEW_CACHE_ENTRIES"] == 100
    custom = settings_from_env(
        {
            "DASHBOARD_CACHE_THRESHOLD": "20",
            "DASHBOARD_CACHE_TIMEOUT": "60",
            "DASHBOARD_VIEW_CACHE_ENTRIES": "7",
        }
    )
    assert (custom["CACHE_THRESHOLD"], custom["CACHE_DEFAULT_TIMEOUT"]) == (20, 60)
    assert custom["VIEW_CACHE_ENTRIES"] == 7


def test_query_cache_entries_never_exceed_the_threshold():
    app = create_app(testing_config(CACHE_THRESHOLD=10))
    with app.server.app_context():
        backend = cache.cache
        assert backend._threshold == 10
        for range_key in ("24h", "7d", "30d", "90d", "all"):
            for model in (
                "all",
                "threat_detection",
                "response_automation",
                "incident_classification",
            ):
                queries.sessions_in_range(range_key, model)
                queries.session_trends(range_key, model)
                assert len(backend._cache) <= 10


def test_at_its_threshold_the_cache_drops_the_least_recently_used_entries():
    app = create_app(testing_config(CACHE_THRESHOLD=12))
    calls = []

    @cache.memoize()
    def square(number: int) -> int:
        calls.append(number)
        return number * number

    with app.server.app_context():
        # square(0) is the first entry; the version key of `square`, read on every call, is
        # never what goes either (SimpleCache dropped it first: every entry became a miss).
        square(0)
        for number in range(1, 40):
            square(number)
            assert square(0) == 0  # used all along: kept, whatever came after
        assert calls.count(0) == 1
        calls.clear()
        square(1)  # unused since 38 newer entries: dropped
        assert calls == [1]


def test_query_cache_entries_expire_after_the_timeout():
    app = create_app(testing_config(CACHE_DEFAULT_TIMEOUT=1))
    with app.server.app_context():
        backend = cache.cache
        queries.sessions_in_range("7d", "all")
        assert any(backend.get(key) is not None for key in list(backend._cache))
        time.sleep(1.1)
        assert all(backend.get(key) is None for key in list(backend._cache))


def test_views_kept_never_exceed_their_limit():
    app = create_app(testing_config(VIEW_CACHE_ENTRIES=3))
    with app.server.app_context():
        for range_key in ("24h", "7d", "30d", "90d", "all"):
            training.training_overview(range_key, "all")
            assert len(views_of_app()) <= 3
        again = training.training_overview("all", "all")
        assert training.training_overview("all", "all")[2] is again[2]  # a hit: the same figure


def test_a_view_expires_and_the_memo_is_thread_safe_and_bounded():
    memo = ViewMemo(max_entries=2, ttl=60)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == (True, 1)
    memo.put("c", 3)
    assert memo.get("b") == (False, None)  # pushed out: least recently used
    assert memo.get("a") == (True, 1)
    short = ViewMemo(max_entries=5, ttl=0.01)
    short.put("d", None)
    assert short.get("d") == (True, None)
    time.sleep(0.02)
    assert short.get("d") == (False, None)  # expired
    assert len(short) == 0


def test_null_cache_keeps_no_views():
    with pytest.warns(UserWarning, match="NullCache"):
        app = create_app(testing_config(CACHE_TYPE="NullCache"))
    with app.server.app_context():
        training.training_overview("7d", "all")
        assert len(views_of_app()) == 0


@pytest.mark.parametrize("cached", [_day_plan])
def test_the_simulator_keeps_at_most_two_day_plans(cached):
    assert cached.cache_info().maxsize == 2
