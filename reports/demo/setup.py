"""The demo campaigns themselves: a sender profile, templates, a segment, a broadcast, a sequence and a playbook.

Written through the same models and services the pages use (segment_save
validates the rule tree, sequence_save and playbook_save shape the steps
and options), then moved to the state they would have after weeks of
running. Names are Japanese data, like the rest of the demo workspace.
"""
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from accounts.roles import Role
from campaigns.flows.services import flow_start, playbook_save, sequence_save
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignStep,
    DeadlineRule,
    MailTopic,
    MessageTemplate,
    SenderProfile,
    StepKind,
)
from segments.services import segment_save

BROADCAST_NAME = "休眠顧客への近況のご案内"
SEQUENCE_NAME = "料金ページを見た休眠顧客へのフォロー"
PLAYBOOK_NAME = "契約満了前の継続フォロー"
SEGMENT_NAME = "休眠顧客（標準ルール）"
LAPSE_TEXT = ("満了日を過ぎると、蓄積したスコア履歴・配信設定・ワークフローが閲覧できなくなり、"
              "担当者によるサポートも終了します。")
OPTIONS = [
    {"kind": "renew", "label": "現在のプランで1年間更新する",
     "description": "今と同じ内容で、満了日の翌日から1年間ご利用いただけます。"},
    {"kind": "reduced", "label": "スタンダードプランに切り替えて継続する",
     "description": "ご利用人数と機能を絞り、費用を抑えて継続できます。"},
    {"kind": "extension", "label": "1か月だけ延長して社内で検討する",
     "description": "満了日を1か月延ばし、その間に更新をご判断いただけます。"},
]


@dataclass
class DemoCampaigns:
    broadcast: Campaign
    sequence: Campaign
    playbook: Campaign
    segment: object


def sender_ensure():
    """A sender profile with every detail the law asks for: the default one if complete, else a new demo one."""
    for profile in SenderProfile.objects.order_by("-is_default", "id")[:20]:
        if not profile.missing():
            return profile
    return SenderProfile.objects.create(
        name="デモ配信元（マーケティング部）", from_name="株式会社リキンドル・デモ マーケティング部",
        from_email="marketing@rekindle.example", reply_to="support@rekindle.example",
        organisation="株式会社リキンドル・デモ", postal_address="〒100-0005 東京都千代田区丸の内1-9-1 デモビル12階",
        inquiry_contact="03-6800-1234（平日10:00〜18:00） support@rekindle.example",
        is_default=not SenderProfile.objects.filter(is_default=True).exists(),
    )


def _starter(key):
    return MessageTemplate.objects.filter(is_starter=True, starter_key=key, language="ja").first()


def _copy(starter, *, name, subject, user):
    """A marketer's copy of a starter template (what *Copy to edit* makes), with its own name and subject."""
    return MessageTemplate.objects.create(name=name, language=starter.language, style=starter.style, subject=subject,
                                          body_text=starter.body_text, body_html=starter.body_html, created_by=user)


def campaigns_create(*, now, marketer):
    """Create the three demo campaigns (started, with their steps); times are set relative to `now`."""
    sender = sender_ensure()
    content, renewal = _starter("useful-content"), MailTopic.objects.filter(key="renewal").first()
    segment = segment_save(name=SEGMENT_NAME, description="標準の休眠ルールに当てはまるコンタクト",
                           definition={"op": "and", "items": [{"type": "dormancy", "rule": "default"}]}, user=marketer)
    variant_a = _copy(content, name="休眠顧客への近況のご案内 A（事例集）",
                      subject="ご無沙汰しております ― 同じ課題を解決した5社の事例をお届けします", user=marketer)
    variant_b = _copy(content, name="休眠顧客への近況のご案内 B（近況伺い）",
                      subject="{{ contact.last_name or \"ご担当者\" }}様、その後いかがお過ごしでしょうか",
                      user=marketer)
    broadcast = Campaign.objects.create(
        name=BROADCAST_NAME, kind=CampaignKind.BROADCAST, status=CampaignStatus.FINISHED, sender=sender,
        segment=segment, holdout_percent=10, variant_b_percent=50, created_by=marketer)
    CampaignStep.objects.create(campaign=broadcast, position=1, kind=StepKind.EMAIL, template=variant_a,
                                template_b=variant_b)
    sequence = sequence_save(
        name=SEQUENCE_NAME, sender=sender, segment=None, user=marketer,
        trigger={"type": "touch", "kind": "page_view", "url_contains": "/pricing"},
        exit_on=["reply", "meeting", "unsubscribed"], allow_reentry=False, holdout_percent=10, variant_b_percent=0,
        steps=[
            {"kind": StepKind.EMAIL, "name": "担当者からの個別フォロー", "wait_days": 1,
             "template": _starter("lost-deal-checkin")},
            {"kind": StepKind.CALL_TASK, "name": "インサイドセールスから架電", "wait_days": 3,
             "purpose": "料金ページを見た理由と検討状況を伺う"},
            {"kind": StepKind.EMAIL, "name": "導入事例集のご案内", "wait_days": 7, "template": content},
        ])
    playbook = playbook_save(
        name=PLAYBOOK_NAME, sender=sender, segment=None, all_active_contracts=True, lapse_text=LAPSE_TEXT,
        deadline_rule=DeadlineRule.BEFORE_LAPSE, deadline_days=3, holdout_percent=0, topic=renewal, user=marketer,
        phases=[
            {"phase": "pre_notice", "offset_days": -60, "kind": StepKind.EMAIL, "name": "満了60日前のご案内",
             "purpose": "満了日と更新手続きを早めに知らせる", "owner_role": "marketer",
             "template": _starter("lapse-pre-notice")},
            {"phase": "notice", "offset_days": -30, "kind": StepKind.EMAIL, "name": "満了通知と継続方法のご提案",
             "purpose": "失うものを具体的に示し、3つの選択肢から選んでもらう", "owner_role": "marketer",
             "template": _starter("lapse-notice-options")},
            {"phase": "final", "offset_days": -7, "kind": StepKind.CALL_TASK, "name": "満了直前の架電",
             "purpose": "未回答のお客様に担当者から電話で確認する", "owner_role": "inside_sales"},
            {"phase": "after_lapse", "offset_days": 7, "kind": StepKind.EMAIL, "name": "満了後の再開のご案内",
             "purpose": "データが残っているうちに再開を提案する", "owner_role": "marketer",
             "template": _starter("win-back")},
        ],
        options=OPTIONS)
    return DemoCampaigns(broadcast=broadcast, sequence=sequence, playbook=playbook, segment=segment)


def flow_started(campaign, *, created, started):
    """Start a sequence or playbook as its page does (flow_start: the same checks, draft → running), back-dated."""
    flow_start(campaign=campaign, now=started)
    campaign_times_set(campaign, created=created, started=started)


def campaign_times_set(campaign, *, created, started, finished=None, status=None, **fields):
    """Back-date a demo campaign (created_at is auto_now_add, so it is set with an UPDATE)."""
    values = {"created_at": created, "started_at": started, "finished_at": finished, "updated_at": finished or started,
              **fields}
    if status:
        values["status"] = status
    Campaign.objects.filter(pk=campaign.pk).update(**values)
    for name, value in values.items():
        setattr(campaign, name, value)


def marketer_user():
    """Who "made" the demo campaigns: the demo marketer, else any marketer, else nobody."""
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(username="marketer").first() or users.filter(groups__name=Role.MARKETER).order_by("id").first()


__all__ = ["BROADCAST_NAME", "PLAYBOOK_NAME", "SEQUENCE_NAME", "DemoCampaigns", "campaign_times_set",
           "campaigns_create", "flow_started",
           "marketer_user", "sender_ensure"]
