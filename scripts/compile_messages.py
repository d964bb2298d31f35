"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib (no gettext needed)."""
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po")):
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        continue
    po = polib.pofile(str(po_path))
    po.save_as_mofile(str(mo_path))
    print(f"compiled {po_path.relative_to(ROOT)} ({len(po.translated_entries())} messages)")
