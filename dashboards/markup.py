"""Markdown rendered on the server into plain HTML.

`solara.Markdown` asks the browser for KaTeX (math rendering) from a CDN that solara-assets does not
ship, which fails (404) on a machine with no internet. The dashboard's notes need no math, so
they are converted with python-markdown (a solara dependency) and shown as HTML.
"""

from __future__ import annotations

import functools

import markdown
import solara


@functools.lru_cache(maxsize=256)
def to_html(text: str) -> str:
    return markdown.markdown(text, extensions=["fenced_code", "tables"])


def Markdown(text: str, style: str = "", classes: list[str] | None = None) -> None:
    """Show Markdown `text` (trusted: written in this package or built from scenario names)."""
    solara.HTML(tag="div", unsafe_innerHTML=to_html(text), style=style or None,
                classes=["pricewar-md", *(classes or [])])
