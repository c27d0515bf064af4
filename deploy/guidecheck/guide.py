"""docs/deploy.md as the job reads it: the fenced blocks that carry a title, e.g. ```sh title="check"."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
TITLED_BLOCK = re.compile(r'^```\w* title="(?P<title>[^"]+)"\n(?P<body>.*?)^```$', re.MULTILINE | re.DOTALL)


class GuideError(Exception):
    """The guide cannot be followed as written."""


def blocks(markdown: str | None = None) -> dict[str, str]:
    """Title -> the block's text, as an engineer would copy it."""
    text = GUIDE.read_text() if markdown is None else markdown
    found: dict[str, str] = {}
    for match in TITLED_BLOCK.finditer(text):
        if match["title"] in found:
            raise GuideError(f"docs/deploy.md has two blocks titled {match['title']!r}")
        found[match["title"]] = match["body"]
    return found


def block(title: str) -> str:
    try:
        return blocks()[title]
    except KeyError:
        raise GuideError(f'docs/deploy.md has no block titled "{title}" (```sh title="{title}")') from None
