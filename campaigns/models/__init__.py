"""Outreach: sender profiles, templates, topics, campaigns and their steps, enrollments, deliveries, suppressions."""
from .campaign import Campaign, CampaignKind, CampaignStatus, CampaignStep, PlaybookPhase, StepKind
from .delivery import TERMINAL_STATUSES, Delivery, DeliveryLink, DeliveryStatus, SkipReason
from .enrollment import CallTask, CallTaskStatus, Enrollment, EnrollmentStatus
from .playbook import (
    DeadlineRule,
    FlowSettings,
    PlaybookTimeline,
    RescueChoice,
    RescueOption,
    RescueOptionKind,
)
from .preference import ContactMailPreference, ContactTopicOptOut
from .sender import SenderProfile
from .settings import SendingSettings
from .suppression import Suppression, SuppressionReason
from .template import MessageTemplate, TemplateStyle
from .topic import MailTopic

__all__ = [
    "TERMINAL_STATUSES", "CallTask", "CallTaskStatus", "Campaign", "CampaignKind", "CampaignStatus",
    "CampaignStep", "ContactMailPreference", "ContactTopicOptOut", "Delivery", "DeliveryLink", "DeliveryStatus",
    "Enrollment", "EnrollmentStatus", "MailTopic", "MessageTemplate", "PlaybookPhase", "SenderProfile",
    "SendingSettings", "SkipReason", "StepKind",
    "Suppression", "SuppressionReason", "TemplateStyle",
    "DeadlineRule", "FlowSettings", "PlaybookTimeline", "RescueChoice", "RescueOption", "RescueOptionKind",
]
