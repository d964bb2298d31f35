from .company import Company
from .contact import ConsentState, Contact, ContactStatus, LostReason, Tag
from .contract import Contract, ContractStatus
from .event import ContactTouchSummary, TouchEvent, TouchKind, TouchSource
from .importjob import ImportJob, ImportKind, ImportStatus

__all__ = [
    "Company",
    "ConsentState",
    "Contact",
    "ContactStatus",
    "ContactTouchSummary",
    "Contract",
    "ContractStatus",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "LostReason",
    "Tag",
    "TouchEvent",
    "TouchKind",
    "TouchSource",
]
