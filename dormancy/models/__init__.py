"""Dormancy rules as data: the rule the engine applies and its version history."""
from .membership import DormancyMembership
from .rule import ConditionMatch, ConditionType, DormancyRule, ScopeField, ScopeOp
from .version import DormancyRuleVersion

__all__ = [
    "ConditionMatch",
    "ConditionType",
    "DormancyMembership",
    "DormancyRule",
    "DormancyRuleVersion",
    "ScopeField",
    "ScopeOp",
]
