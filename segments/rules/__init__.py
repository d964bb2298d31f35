"""Segment rule trees: validation (the allow-list) and compilation to a set-based filter.

Nothing here reads the clock: `today` and `tz` are arguments.
"""
from .definition import validate_definition
from .query import depends_on_touches, segment_q

__all__ = ["depends_on_touches", "segment_q", "validate_definition"]
