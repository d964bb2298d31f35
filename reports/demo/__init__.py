"""Demo activity: about 90 days of the product in use, on top of seed_demo's contacts, touches and contracts.

A finished reactivation broadcast with a holdout and A/B subjects, a running
step sequence, a rescue playbook with choices, renewals and lapses, the
recipients' touches, and hot-lead alerts worked by the demo reps, so the
dashboard and the reports have something to show on a fresh `make run`.
Deterministic for a seed, idempotent (a second run finds the broadcast and
stops), set-based (bulk inserts and UPDATEs, never a query per contact).

Modules: `common` (chances, times, the touch writer), `setup` (sender,
templates, segment, campaigns), `mail` (deliveries by the sender's rules),
`reactions` (what recipients do), `broadcast`, `sequence`, `rescue`,
`alerts`, `seed` (the run).
"""
from .seed import demo_activity_present, demo_activity_seed

__all__ = ["demo_activity_present", "demo_activity_seed"]
