"""The starter template library shipped with Rekindle, in Japanese and English.

Each version of the library is a frozen module (`v1`, later `v2`, …) that a
data migration loads: a migration must mean the same thing forever, so a
shipped version is never edited. To improve the library, add `v2` with the
changed entries and a migration that loads it; `CURRENT` moves to it.

Starters are read-only in the app; marketers copy one to change it. Their
bodies stop before the legal footer (sender, address, inquiry contact,
unsubscribe sentence and link): the sending engine appends it to every
marketing mail, so a template never repeats it.
"""
from . import v1

CURRENT = v1.STARTERS
KEYS = tuple(dict.fromkeys(entry["key"] for entry in CURRENT))
