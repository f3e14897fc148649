"""Helpers shared by test modules: reading what a component tree shows."""

from __future__ import annotations


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
