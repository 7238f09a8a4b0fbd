"""The one error a user can cause: bad scenario input. The CLI prints it in one line, exit code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ScenarioError(ValueError):
    """Bad input, with the file and key it came from and what is allowed."""

    def __init__(self, message: str, *, source: str = "", key: str = "") -> None:
        self.source = source
        self.key = key
        self.message = message
        where = ": ".join(part for part in (source, f"key '{key}'" if key else "") if part)
        super().__init__(f"{where}: {message}" if where else message)


def nearest(word: str, valid: Iterable[str], n: int = 3) -> str:
    """A short 'nearest valid keys' hint for an unknown name."""
    valid = sorted(set(valid))
    close = difflib.get_close_matches(word, valid, n=n, cutoff=0.5)
    if not close:
        # Fall back to sharing a prefix or suffix: e.g. 'deepseek.price' -> 'api_price'.
        tail = word.rsplit(".", 1)[-1]
        close = [v for v in valid if v.rsplit(".", 1)[-1].startswith(tail[:3])][:n]
    shown = close or valid[:n]
    return "nearest valid: " + ", ".join(shown) if shown else "nothing is valid here"
