"""The master's warm-up: every page's default view drawn once, nothing kept, nothing raised."""

from __future__ import annotations

import logging

from dashboard.callbacks import warmup
from dashboard.callbacks.views import views_of_app


def test_every_default_view_draws_and_no_answer_is_kept(app, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger=warmup.__name__)
    drawn = []

    def recorded(name, view):
        def draw():
            drawn.append(name)
            return view()

        return draw

    views = {name: recorded(name, view) for name, view in warmup.DEFAULT_VIEWS.items()}
    monkeypatch.setattr(warmup, "DEFAULT_VIEWS", views)
    with app.server.app_context():
        views["training"]()
        assert len(views_of_app()) > 0  # views are kept, until the warm-up forgets them
        drawn.clear()
        warmup.warm_up()
        assert len(views_of_app()) == 0
    assert drawn == list(views)
    assert caplog.records == []


def test_a_view_that_fails_is_logged_and_the_others_still_draw(app, caplog, monkeypatch):
    def broken() -> None:
        raise RuntimeError("source gone")

    drawn = []
    monkeypatch.setattr(
        warmup, "DEFAULT_VIEWS", {"broken": broken, "other": lambda: drawn.append("other")}
    )
    with app.server.app_context():
        warmup.warm_up()
    assert drawn == ["other"]
    assert "warming up the broken view failed" in caplog.text
