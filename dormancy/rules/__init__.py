"""Pure predicates and query builders for dormancy rules.

Nothing here reads the clock: `today` (a calendar date in the workspace time
zone) and `tz` are arguments, so the same rule gives the same answer in a
test, a preview and a nightly job.
"""
from .definition import clean_definition, validate_rule_definition
from .explain import explain_membership, is_member
from .query import dormant_as_of_q, dormant_q, last_silent_date

__all__ = [
    "clean_definition",
    "dormant_as_of_q",
    "dormant_q",
    "explain_membership",
    "is_member",
    "last_silent_date",
    "validate_rule_definition",
]
