"""Dormancy rules as data: the rule the engine applies and its version history."""
from .rule import ConditionMatch, ConditionType, DormancyRule, ScopeField, ScopeOp
from .version import DormancyRuleVersion

__all__ = [
    "ConditionMatch",
    "ConditionType",
    "DormancyRule",
    "DormancyRuleVersion",
    "ScopeField",
    "ScopeOp",
]
