"""Places without the people in them: an address rounded to its block, for anything shown to others.

Open311, the "already reported?" page and open data all show where a problem is, never whose door it is.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

STREET_TYPES = {
    "st", "street", "ave", "av", "avenue", "rd", "road", "blvd", "boulevard", "dr", "drive", "ln", "lane",
    "pkwy", "parkway", "way", "pl", "place", "ct", "court", "ter", "terrace", "cir", "circle", "hwy",
    "highway", "mall", "trl", "trail", "sq", "square", "plz", "plaza", "row", "aly", "alley", "xing",
    "crossing", "pass", "path", "walk",
}  # fmt: skip
STREET_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.'-]{0,24}")
HOUSE_NUMBER = re.compile(r"(\d{1,6})[A-Za-z]?(?:-\d{1,6}[A-Za-z]?)?")
UNIT = re.compile(r"\s+(?:apt|apartment|unit|ste|suite|fl|floor|rm|room|bldg|lot|space)\b.*$", re.I)
CROSSING = re.compile(r"\s+(?:&|and|at)\s+|\s*[&/]\s*", re.I)


def block_of(address: str) -> str:
    """The address to its block ("3500 block of Bryant Ave S"); an intersection stays as it is.

    Anything that does not read as a street address or an intersection is left out: free text can hold
    a name or a description.
    """
    first = UNIT.sub("", re.split(r"[,;#(\n]", address, maxsplit=1)[0]).strip()
    words = first.split()
    if words and HOUSE_NUMBER.fullmatch(words[0]) and is_street(words[1:]):
        number = int(HOUSE_NUMBER.fullmatch(words[0])[1])
        return f"{number // 100 * 100} block of {' '.join(words[1:])}"
    streets = [part.split() for part in CROSSING.split(first)]
    if len(streets) == 2 and all(is_street(street) and not street[0].isdigit() for street in streets):
        return " & ".join(" ".join(street) for street in streets)
    return ""


def is_street(words: list[str]) -> bool:
    return (
        0 < len(words) <= 6
        and all(STREET_WORD.fullmatch(word) for word in words)
        and any(word.rstrip(".").lower() in STREET_TYPES for word in words)
    )


def block_text(address: str) -> str:
    """block_of in the reader's language ("el bloque 3500 de Bryant Ave S"), for our own pages."""
    english = block_of(address)
    found = BLOCK.fullmatch(english)
    if found is None:
        return english
    return _("%(hundred)s block of %(street)s") % {"hundred": found["hundred"], "street": found["street"]}


BLOCK = re.compile(r"(?P<hundred>\d+) block of (?P<street>.+)")
