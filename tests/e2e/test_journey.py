"""End to end, as the users do it (issue 7): admin, marketer, rep and customers in headless chromium.

One freshly migrated database, one real Celery worker with its embedded beat,
one real SMTP server (aiosmtpd) and a customer's web site on an origin of its
own. Beat's fast entries (sending dispatch every second, the tracking drain,
the alert sweep) run by themselves; the minute and hourly ones (the flows
engine, the dashboard snapshots) are sent to the same worker by the test
instead of waited for. Everything a person does goes through the browser;
everything the product sends goes through SMTP and is read back from it.
Screenshots: test-artifacts/e2e/NN-name.png.
"""
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert, AlertStatus, Outcome, TriggerKind
from alerts.routing import rep_duty_set
from campaigns.flows.tasks import flows_run
from campaigns.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    PlaybookPhase,
    PlaybookTimeline,
    RescueChoice,
    SenderProfile,
    SendingSettings,
    TemplateStyle,
)
from campaigns.sending.public import BOT_SECONDS
from campaigns.services_templates import message_template_save
from contacts.models import Contact, Contract, TouchEvent, TouchKind
from contacts.rules import workspace_today
from dormancy.models import DormancyMembership, DormancyRule
from reports.tasks import daily_snapshots_compute
from segments.models import Segment
from tests.conftest import ARTIFACTS, browser_login

from .conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "e2e"
PRICING_LABEL = "料金プランを見る"
DESKTOP_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/140.0.0.0 Safari/537.36")
OPTIONS = ["同じプランで更新する", "ライトプランに変更する", "1か月延長して検討する"]


class Links(HTMLParser):
    """(href, text) of every <a> in an HTML body."""

    def __init__(self, html):
        super().__init__()
        self.found, self._href, self._text = [], None, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.found.append((self._href, "".join(self._text).strip()))
            self._href = None

    def href(self, text):
        [href] = [href for href, label in self.found if label == text]
        return href


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


class Shots:
    def __init__(self):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.number = 0

    def __call__(self, page, name):
        self.number += 1
        page.screenshot(path=str(SHOTS / f"{self.number:02d}-{name}.png"), full_page=True)


def contacts_csv(today, *, fixed):
    """The marketer's Excel export, saved as CP932; line 5 has a broken address until `fixed`."""
    d = {days: (today - timedelta(days=days)).isoformat() for days in (20, 120, 300)}
    takahashi = "takahashi@example.co.jp" if fixed else "takahashi.example.co.jp"
    rows = [
        "email,last_name,first_name,company,title,status,lost_reason,deal_stage,deal_stage_changed_at,owner,"
        "acquired_at,consent,consent_source,tags",
        f"kato@example.co.jp,加藤,健,株式会社カトウ製作所,情報システム部 部長,customer,,更新検討,{d[120]},"
        f"rep1@example.com,{d[120]},opt_in,展示会2025 名刺交換時に配信同意,展示会2025",
        f"mori@example.co.jp,森,花子,森精機販売株式会社,総務課 課長,customer,,,,rep1@example.com,{d[20]},opt_in,"
        "Webフォーム 資料請求,",
        f"sato@example.co.jp,佐藤,一郎,株式会社サトウ商事,営業部長,lost,competitor,,,rep1@example.com,{d[120]},"
        "opt_in,展示会2024,",
        f"{takahashi},高橋,誠,高橋物流株式会社,購買担当,lost,pending,,,rep1@example.com,{d[300]},none,,",
        f"ito@example.co.jp,伊藤,美咲,伊藤建設株式会社,経理部,customer,,,,rep1@example.com,{d[20]},none,,",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def contracts_csv(today):
    lapse, start = (today + timedelta(days=30)).isoformat(), (today - timedelta(days=335)).isoformat()
    return (f"email,contract_id,plan,starts_at,expires_at,amount,status\r\n"
            f"kato@example.co.jp,K-1001,スタンダード年間,{start},{lapse},1200000,active\r\n"
            f"mori@example.co.jp,M-2002,ライト年間,{start},{lapse},600000,active\r\n").encode()


def import_file(page, url, path, kind):
    page.goto(f"{url}/contacts/imports/new/")
    page.check(f"input[name=kind][value={kind}]")
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#import-summary")


def test_admin_marketer_rep_and_customers_walk_the_whole_product(
        browser_context, live_server, journey_worker, smtp, customer_site, shipped_data, admin_user, marketer,
        rep, tmp_path):
    url, mail, shot = live_server.url, smtp.recorder, Shots()
    today = workspace_today()
    rep_duty_set(user=rep, on_duty=True)

    def flows_pass():
        # Beat's own tick (once a minute) may hold the pass lock; then ours is skipped and goes again after it.
        wait_until(lambda: "skipped" not in journey_worker.run(flows_run), "a flows pass of the test's own")

    def context(language="ja", **options):
        return browser_context(language=language, url=url, **options)

    # -- 1. The admin: sender profile, sending hours, the tracked site ------------------------------------------
    admin = context().new_page()
    browser_login(admin, live_server, "admin1", "pw-admin1-1234")
    admin.goto(f"{url}/campaigns/templates/senders/new/")
    admin.fill("input[name=name]", "営業部")
    admin.fill("input[name=from_name]", "株式会社リキンドル 営業部")
    admin.fill("input[name=from_email]", "sales@rekindle.example.co.jp")
    admin.fill("input[name=organisation]", "株式会社リキンドル")
    admin.fill("textarea[name=postal_address]", "〒100-0005 東京都千代田区丸の内1-1-1")
    admin.click("main form button[type=submit]")
    admin.wait_for_url(f"{url}/campaigns/templates/senders/")
    assert admin.locator("#sender-profiles .missing-details").count() == 1  # no inquiry contact yet
    shot(admin, "admin-sender-missing-details")
    admin.click("#sender-profiles a:has-text('営業部')")
    admin.wait_for_selector("#missing-details")  # waits for the edit page and for the notice to be visible
    admin.fill("input[name=inquiry_contact]", "03-1234-5678 / info@rekindle.example.co.jp")
    admin.check("input[name=is_default]")
    admin.click("main form button[type=submit]")
    admin.wait_for_url(f"{url}/campaigns/templates/senders/")
    assert admin.locator("#sender-profiles .missing-details").count() == 0
    sender = SenderProfile.objects.get()
    assert (sender.missing(), sender.is_default) == ([], True)
    shot(admin, "admin-sender-profile")

    # The test runs at any hour and on any day: no quiet hours, weekends or holidays.
    admin.goto(f"{url}/campaigns/templates/sending-settings/")
    admin.fill("input[name=quiet_start]", "00:00")
    admin.fill("input[name=quiet_end]", "00:00")
    admin.uncheck("input[name=quiet_weekends]")
    admin.uncheck("input[name=quiet_holidays]")
    with admin.expect_navigation():
        admin.click("#sending-settings button[type=submit]")
    policy = SendingSettings.load()
    assert (policy.quiet_start, policy.quiet_weekends, policy.quiet_holidays) == (policy.quiet_end, False, False)
    shot(admin, "admin-sending-settings")

    admin.goto(f"{url}/tracking/sites/new/")
    admin.fill("input[name=name]", "コーポレートサイト")
    admin.fill("textarea[name=origins]", customer_site.origin)
    admin.click("#site-form button[type=submit]")
    admin.wait_for_selector("#snippet-code")
    snippet = admin.input_value("#snippet-code")
    assert snippet.startswith(f'<script async src="{url}/t.js" data-site="')
    shot(admin, "admin-tracked-site")
    customer_site.pages["/pricing"] = (
        f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>料金プラン</title></head>'
        f"<body><h1>料金プラン</h1><p>スタンダード ¥100,000/月</p>{snippet}</body></html>")

    # -- 2. The marketer: import (a bad row, then fixed), contracts, segment, sequence, playbook ---------------
    mk = context().new_page()
    browser_login(mk, live_server, "marketer1", "pw-marketer1-1234")
    mk.wait_for_url(f"{url}/reports/")
    bad, good = tmp_path / "顧客リスト.csv", tmp_path / "顧客リスト_修正.csv"
    bad.write_bytes(contacts_csv(today, fixed=False))
    good.write_bytes(contacts_csv(today, fixed=True))
    import_file(mk, url, bad, "contacts")
    assert "CP932" in mk.inner_text("#import-encoding").upper()
    errors = mk.locator("#import-errors tbody tr")
    assert errors.count() == 1
    assert errors.first.locator("td").nth(0).inner_text() == "5"  # Excel's line number: header is line 1
    assert errors.first.locator("td").nth(1).inner_text() == "email"
    assert mk.locator("#import-submit").inner_text().strip().startswith("4")  # only "import 4 good rows"
    assert Contact.objects.count() == 0  # the check writes nothing
    shot(mk, "marketer-import-bad-row")

    import_file(mk, url, good, "contacts")
    assert mk.locator("#import-errors").count() == 0
    mk.click("#import-submit")
    mk.wait_for_selector("#import-result", timeout=60_000)  # the job runs in the worker; the page refreshes
    assert mk.inner_text("[data-count=created]") == "5"
    assert mk.inner_text("[data-count=skipped]") == "0"
    shot(mk, "marketer-import-done")
    kato = Contact.objects.get(email="kato@example.co.jp")
    mori = Contact.objects.get(email="mori@example.co.jp")
    assert (kato.owner_id, kato.consent, kato.consent_source) == (rep.pk, "opt_in", "展示会2025 名刺交換時に配信同意")
    assert Contact.objects.get(email="takahashi@example.co.jp").consent == "none"

    contracts = tmp_path / "契約.csv"
    contracts.write_bytes(contracts_csv(today))
    import_file(mk, url, contracts, "contracts")
    mk.click("#import-submit")
    mk.wait_for_selector("#import-result", timeout=60_000)
    assert mk.inner_text("[data-count=created]") == "2"
    assert Contract.objects.filter(status="active").count() == 2

    # The admin shortens the default dormancy rule, watching the preview count the imported contacts.
    rule = DormancyRule.objects.get(slug="default")
    admin.goto(f"{url}/dormancy/{rule.pk}/edit/")
    expect(admin.locator("#preview-total")).to_have_text("1", timeout=20_000)  # 高橋, 300 days
    admin.fill("input[name=inactivity_days]", "90")
    expect(admin.locator("#preview-total")).to_have_text("3", timeout=20_000)
    assert admin.inner_text("#preview-added") == "+2"
    assert admin.inner_text("#preview-removed") == "0"
    assert sorted(admin.locator("#preview-added-examples a").all_inner_texts()) == ["佐藤 一郎", "加藤 健"]
    admin.fill("input[name=note]", "更新検討が90日止まった顧客も休眠扱いにする")
    shot(admin, "admin-dormancy-preview")
    admin.click("#rule-form button[type=submit]")
    admin.wait_for_url(f"{url}/dormancy/{rule.pk}/")
    assert admin.inner_text("#member-count") == "3"
    assert "v2" in admin.inner_text("#version-2")
    shot(admin, "admin-dormancy-saved")

    # Segment: customers we may mail (status customer AND can receive marketing mail), built live.
    mk.goto(f"{url}/segments/new/")
    mk.evaluate("window.__noReload = true")
    count, sample = mk.locator("#preview-count"), mk.locator("#preview-sample tbody tr")

    def preview_answer():
        return mk.expect_response(lambda response: response.url.endswith("/segments/preview/"))

    with preview_answer():
        mk.click("#segment-builder [data-action=add-condition]")  # status = lost by default: 佐藤, 高橋
    expect(sample).to_have_count(2, timeout=20_000)
    assert count.inner_text() == "2"
    assert sorted(sample.locator("td:last-child").all_inner_texts()) == ["sato@example.co.jp",
                                                                        "takahashi@example.co.jp"]
    with preview_answer():
        mk.locator("#segment-builder .segment-condition").nth(0).locator("select").nth(3).select_option("customer")
    expect(count).to_have_text("3", timeout=20_000)  # 加藤, 森, 伊藤
    mk.click("#segment-builder [data-action=add-condition] >> nth=0")
    with preview_answer():
        mk.locator("#segment-builder .segment-condition").nth(1).locator("select").nth(0).select_option("consent")
    expect(count).to_have_text("2", timeout=20_000)  # 伊藤 has no consent on record
    assert sorted(sample.locator("td:last-child").all_inner_texts()) == ["kato@example.co.jp", "mori@example.co.jp"]
    assert mk.evaluate("window.__noReload") is True
    mk.fill("input[name=name]", "契約中の顧客（配信可）")
    shot(mk, "marketer-segment-builder")
    mk.click("button[type=submit].btn-primary")
    mk.wait_for_url(f"{url}/segments/*/")
    segment = Segment.objects.get(name="契約中の顧客（配信可）")
    with mk.expect_navigation():  # the redirect back lands before the reload below, or chromium may drop the page
        mk.click("form[action$='/refresh/'] button")  # a new segment's first snapshot: beat would take 10 minutes
    wait_until(lambda: Segment.objects.filter(pk=segment.pk, member_count=2, refreshed_at__isnull=False).exists(),
               "the segment's first snapshot")
    mk.reload()
    assert "2" in mk.inner_text("main p.small.text-muted.mb-2")
    shot(mk, "marketer-segment-members")

    # The mails: made in the template library (validated as the editor does).
    rescue_template = message_template_save(user=marketer, fields={
        "name": "契約満了のご案内（選択肢つき）", "style": TemplateStyle.NEWSLETTER, "language": "ja",
        "subject": "{{ contact.last_name }}様 ご契約満了（{{ contract.lapse_date }}）のご案内",
        "body_text": ("{{ contact.last_name }}様\n"
                      "ご契約 {{ contract.plan }} は {{ contract.lapse_date }} に満了します。"),
        "body_html": (
            "<p>{{ contact.last_name }}様</p><p>ご契約 {{ contract.plan }} は {{ contract.lapse_date }} に満了します。"
            f'</p><p><a href="{customer_site.origin}/pricing">{PRICING_LABEL}</a></p>'
            '{% for option in rescue.options %}<p><a href="{{ option.url }}">{{ option.label }}</a></p>{% endfor %}'
            "<p>{{ rescue.deadline }} までにお選びください。</p>"),
    })
    follow_up = message_template_save(user=marketer, fields={
        "name": "料金ページをご覧の方へ", "style": TemplateStyle.NEWSLETTER, "language": "ja",
        "subject": "{{ contact.last_name }}様 料金プランのご相談",
        "body_text": "{{ contact.last_name }}様 料金のご相談はお気軽に。",
        "body_html": "<p>{{ contact.last_name }}様</p><p>料金のご相談はお気軽にどうぞ。</p>",
    })

    # Sequence: whoever views the pricing page gets a follow-up mail, then a call from their rep.
    mk.goto(f"{url}/campaigns/flows/sequence/new/")
    mk.fill("input[name=name]", "料金ページ閲覧フォロー")
    mk.select_option("select[name=sender]", str(sender.pk))
    mk.check("input[name=trigger_type][value=touch]")
    mk.select_option("select[name=touch_kind]", TouchKind.PAGE_VIEW)
    mk.fill("input[name=url_contains]", "/pricing")
    mk.select_option("select[name=steps-0-template]", str(follow_up.pk))
    mk.fill("input[name=steps-1-purpose]", "料金ページを見た理由を伺う")
    mk.fill("input[name=steps-1-wait_days]", "1")
    shot(mk, "marketer-sequence-builder")
    mk.click("#save")
    mk.wait_for_url(f"{url}/campaigns/flows/*/")
    assert mk.locator("#timeline li").count() == 2
    mk.click("#start")
    mk.wait_for_selector(".alert-success")
    sequence = Campaign.objects.get(name="料金ページ閲覧フォロー")
    assert sequence.status == CampaignStatus.RUNNING
    shot(mk, "marketer-sequence-started")

    # Playbook: the segment's contracts, the notice phase (−30 days) with three options.
    mk.goto(f"{url}/campaigns/flows/playbook/new/")
    mk.fill("input[name=name]", "年間契約の更新レスキュー")
    mk.select_option("select[name=sender]", str(sender.pk))
    mk.select_option("select[name=segment]", str(segment.pk))
    for i in (0, 1, 3):
        mk.select_option(f"select[name=phases-{i}-template]", str(rescue_template.pk))
    for i, label in enumerate(OPTIONS):
        mk.fill(f"input[name=options-{i}-label]", label)
    mk.fill("textarea[name=lapse_text]", "過去3年分の配信履歴と分析レポート")
    shot(mk, "marketer-playbook-builder")
    mk.click("#save")
    mk.wait_for_url(f"{url}/campaigns/flows/*/")
    mk.click("#start")
    mk.wait_for_selector(".alert-success")
    playbook = Campaign.objects.get(name="年間契約の更新レスキュー")
    assert playbook.status == CampaignStatus.RUNNING
    assert list(playbook.rescue_options.order_by("position").values_list("label", flat=True)) == OPTIONS

    # -- 3. Beat and the worker: the flows pass queues the notice mails, dispatch sends them --------------------
    flows_pass()  # beat: "run-sequences-and-playbooks", campaigns.flows.tasks.flows_run, 1/min
    assert PlaybookTimeline.objects.filter(campaign=playbook).count() == 2
    # The notice phase falls due at 10:00 Tokyo time on its day (today). Run before 10:00, the test moves that
    # moment to now rather than waiting for it (nothing else about the enrollments changes).
    notice = playbook.steps.get(phase=PlaybookPhase.NOTICE)
    if Enrollment.objects.filter(campaign=playbook, status=EnrollmentStatus.ACTIVE, next_position=notice.position,
                                 next_at__gt=timezone.now()).update(next_at=timezone.now()):
        flows_pass()
    final = Enrollment.objects.filter(campaign=playbook, status=EnrollmentStatus.ACTIVE)
    assert final.filter(next_position=notice.position + 1).count() == 2  # next: the call task, 7 days before
    notices = Delivery.objects.filter(step__campaign=playbook)
    assert notices.count() == 2
    # Beat's "dispatch-deliveries" (every second here) hands them to the worker, which sends them over SMTP.
    wait_until(lambda: notices.filter(status=DeliveryStatus.SENT).count() == 2, "the notice mails to be sent")
    wait_until(lambda: len(mail.to("kato@example.co.jp")) == 1 and len(mail.to("mori@example.co.jp")) == 1,
               "the notice mails at the SMTP server")
    [kato_notice] = mail.to("kato@example.co.jp")
    assert str(kato_notice["Subject"]).strip() == f"加藤様 ご契約満了（{today + timedelta(days=30)}）のご案内"
    assert "List-Unsubscribe" in kato_notice and "東京都千代田区丸の内1-1-1" in html_of(kato_notice)
    mk.goto(f"{url}/campaigns/flows/{playbook.pk}/")
    shot(mk, "marketer-playbook-mails-sent")

    # -- 5 (first half). The rep keeps the alert inbox open in a second browser -------------------------------
    inbox = context("en").new_page()
    browser_login(inbox, live_server, "rep1", "pw-rep1-1234", language="en")
    inbox.goto(f"{url}/alerts/")
    assert inbox.locator("#inbox-empty").is_visible()
    inbox.evaluate("window.__noReload = true")

    # -- 4. 加藤 follows the pricing link in the real message; the site's snippet reports the page view ----------
    pricing_link = Links(html_of(kato_notice)).href(PRICING_LABEL)
    # A click within BOT_SECONDS of sending is taken for a link scanner's (flagged, no contact token for the
    # site): 加藤 opens his mail a few seconds after it arrived, as a person does.
    sent_at = notices.get(contact=kato).sent_at
    wait_until(lambda: timezone.now() > sent_at + timedelta(seconds=BOT_SECONDS + 0.5), "加藤 to read his mail",
               timeout=BOT_SECONDS + 5)
    assert pricing_link.startswith(f"{url}/m/r/")  # tracked: the click goes through Rekindle first
    customer = context(user_agent=DESKTOP_CHROME).new_page()  # HeadlessChrome is on the scanner list
    customer.goto(pricing_link)
    customer.wait_for_load_state("networkidle")
    assert customer.url == f"{customer_site.origin}/pricing"  # arrived, the ?rk= token taken out of the bar
    assert any(c["name"] == "_rk" for c in customer.context.cookies(customer_site.origin))
    shot(customer, "customer-pricing-page")
    views = TouchEvent.objects.filter(contact=kato, kind=TouchKind.PAGE_VIEW, url=f"{customer_site.origin}/pricing")
    wait_until(views.exists, "the drain to store 加藤's pricing-page view")
    assert TouchEvent.objects.filter(contact=kato, kind=TouchKind.EMAIL_CLICK, flagged_as_bot=False).count() == 1

    # -- 5. ...and sees the alert arrive without reloading, then logs the call ------------------------------
    card = inbox.locator("article.alert-card").first
    card.wait_for(timeout=30_000)
    assert inbox.evaluate("window.__noReload") is True
    assert "加藤 健" in card.inner_text()
    assert "/pricing" in inbox.inner_text("#alert-inbox")
    # Two alerts, both routed to his owner: back from dormancy (the click) and a pricing-page view.
    kato_alerts = Alert.objects.filter(contact=kato)
    wait_until(lambda: kato_alerts.count() == 2 and inbox.locator("article.alert-card").count() == 2,
               "both alerts of 加藤 in the inbox")
    assert sorted(kato_alerts.values_list("trigger__kind", flat=True)) == [TriggerKind.DORMANT_RETURN,
                                                                          TriggerKind.PAGE_VIEW]
    assert set(kato_alerts.values_list("assignee_id", flat=True)) == {rep.pk}
    assert inbox.evaluate("window.__noReload") is True
    shot(inbox, "rep-inbox-live-alert")

    # The sequence takes 加藤 in (the pricing view) and its first mail goes out through the worker.
    flows_pass()
    assert Enrollment.objects.filter(campaign=sequence, contact=kato).count() == 1
    wait_until(lambda: len(mail.to("kato@example.co.jp")) == 2, "the sequence's follow-up mail")
    assert str(mail.to("kato@example.co.jp")[1]["Subject"]).strip() == "加藤様 料金プランのご相談"

    def pricing_card():
        return inbox.locator("article.alert-card", has=inbox.locator(".alert-why", has_text="/pricing"))

    with inbox.expect_navigation():
        pricing_card().locator("form[action$='/claim/'] button").click()
    pricing_card().locator("select[name=outcome]").select_option(Outcome.MEETING_BOOKED)
    pricing_card().locator("input[name=note]").fill("来週火曜 10:00 オンラインで更新の相談")
    with inbox.expect_navigation():
        pricing_card().locator("button.btn-success").click()
    done = inbox.locator("#alerts-done li")
    assert done.count() == 1 and "Meeting booked" in done.first.inner_text()
    assert inbox.locator("article.alert-card").count() == 1  # "came back" is still open
    assert Alert.objects.get(contact=kato, status=AlertStatus.DONE, outcome=Outcome.MEETING_BOOKED).trigger.kind == (
        TriggerKind.PAGE_VIEW)
    assert TouchEvent.objects.filter(contact=kato, kind=TouchKind.CALL).count() == 1
    shot(inbox, "rep-outcome-logged")

    # -- 6. 森 opens the options link of her notice and chooses one ------------------------------------------
    [mori_notice] = mail.to("mori@example.co.jp")
    option_link = Links(html_of(mori_notice)).href(OPTIONS[2])
    shopper = context(user_agent=DESKTOP_CHROME).new_page()
    shopper.goto(option_link)
    assert re.match(rf"{re.escape(url)}/r/[^/]+/\?option=3$", shopper.url)
    assert shopper.locator("#options button").count() == 3
    assert "過去3年分の配信履歴と分析レポート" in shopper.inner_text("#lapse-text")
    shot(shopper, "customer-rescue-options")
    shopper.locator("#options button").nth(2).click()
    shopper.wait_for_selector("#confirmation")
    assert OPTIONS[2] in shopper.inner_text("#confirmation")
    shot(shopper, "customer-rescue-chosen")
    choice = RescueChoice.objects.get()
    assert (choice.contract.external_id, choice.option.label) == ("M-2002", OPTIONS[2])
    assert TouchEvent.objects.filter(contact=mori, kind=TouchKind.FORM_SUBMIT).count() == 1
    mori_timeline = PlaybookTimeline.objects.get(campaign=playbook, contract__external_id="M-2002")
    assert mori_timeline.enrollment.status == EnrollmentStatus.EXITED
    # The choice becomes an alert in the worker (no mail: the owner rep got the choice's own mail).
    wait_until(Alert.objects.filter(contact=mori, trigger__kind=TriggerKind.RESCUE_CHOICE).exists,
               "the worker's alert about 森's choice")
    wait_until(lambda: len(mail.to("rep1@example.com")) == 3, "the mails to the owner rep")
    rep_mail = sorted(str(m["Subject"]).strip() for m in mail.to("rep1@example.com"))
    assert sum("加藤 健" in subject for subject in rep_mail) == 2, rep_mail  # the two alerts about 加藤
    assert sum("森" in subject for subject in rep_mail) == 1, rep_mail  # the choice

    # -- 7. The dashboard shows all of it ---------------------------------------------------------------------
    # The worker keeps the rule's stored members current as facts change: 加藤 left it when he came back.
    members = DormancyMembership.objects.filter(rule=rule)
    wait_until(lambda: sorted(members.values_list("contact__email", flat=True)) == [
        "sato@example.co.jp", "takahashi@example.co.jp"], "加藤 to leave the stored dormancy members")
    journey_worker.run(daily_snapshots_compute)  # beat: "compute-dashboard-snapshots", hourly
    mk.goto(f"{url}/reports/")
    tiles = {name: mk.inner_text(f"[data-tile={name}] .value").strip()
             for name in ("contacts", "dormant", "reactivated", "hot-leads", "lapsing-30")}
    # 佐藤 and 高橋 stay dormant; 加藤 came back (reactivated); open: 加藤's "came back" and 森's choice.
    assert tiles == {"contacts": "5", "dormant": "2", "reactivated": "1", "hot-leads": "2", "lapsing-30": "2"}
    assert sorted(Alert.objects.exclude(status=AlertStatus.DONE).values_list("contact__email", flat=True)) == [
        "kato@example.co.jp", "mori@example.co.jp"]
    assert "¥1,800,000" in mk.inner_text("[data-tile=lapsing-30]")

    def funnel(campaign):
        row = mk.locator("#funnel-table tbody tr", has=mk.locator(f"a[href='/campaigns/{campaign.pk}/']"))
        return {cell.get_attribute("data-stage"): int(cell.inner_text().split()[0].replace(",", ""))
                for cell in row.locator("td[data-stage]").all()}

    # Both notices sent and clicked (加藤: pricing, 森: an option), one site revisit, one meeting, one choice.
    assert funnel(playbook) == {"sent": 2, "delivered": 2, "opened": 2, "clicked": 2, "revisited": 1,
                                "meetings": 1, "renewals": 1}
    assert funnel(sequence) == {"sent": 1, "delivered": 1, "opened": 0, "clicked": 0, "revisited": 0,
                                "meetings": 1, "renewals": 0}
    assert mk.locator("#chart-funnel").is_visible() and mk.locator("#response-empty").count() == 0
    assert [row.locator("td").nth(3).inner_text() for row in mk.locator("#recent-imports tbody tr").all()] == [
        "インポート完了", "インポート完了", "チェック済み（確認待ち）"]  # contracts, contacts fixed, the bad file
    shot(mk, "marketer-dashboard")
