"""Demo data: a realistic Japanese B2B contact base with two years of touches.

`demo_data_seed` is deterministic for a seed (same companies, people, emails,
counts), idempotent (a second run finds the demo companies and stops), and
scales to millions of rows: people are planned once, vectorised, then
generated and written in fixed-size chunks, with COPY on PostgreSQL.

Modules: `vocab` (word lists), `clock` (time arithmetic), `people` (companies
and names), `story` (contact attributes, contracts), `touches` (events),
`rows` (a chunk as table rows), `sink` (database writers), `seed` (the run).
"""
from .seed import DEMO_DOMAIN, SeedStats, demo_data_present, demo_data_seed

__all__ = ["DEMO_DOMAIN", "SeedStats", "demo_data_present", "demo_data_seed"]
