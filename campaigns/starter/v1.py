"""Starter library, version 1 — FROZEN: loaded by campaigns/migrations/0002_starter_templates.py.

Do not edit a shipped entry (see campaigns/starter/__init__.py); add a v2.

Seven mails in Japanese and English: a rep's personal check-in to a deal
lost six months ago, a useful-content mail, a webinar invitation, and the
four steps of an expiry-rescue playbook (pre-notice, notice with options,
last call, win-back after lapse). Newsletter HTML is a fragment (no
<html>/<body>) in an inline-styled 600-px table, so it survives mail clients
and the engine can append its footer. `{# … #}` comments are notes to the
marketer; they never reach the recipient.
"""

# -- HTML pieces (inline styles only: mail clients drop <style>) -----------------------------------------

_FONT = ("font-family:'Hiragino Kaku Gothic ProN','Hiragino Sans',Meiryo,'Helvetica Neue',Arial,sans-serif;")
_P = "margin:0 0 16px;font-size:15px;line-height:1.8;color:#222222;"
_NOTE = "margin:0 0 16px;font-size:13px;line-height:1.7;color:#555555;"


def _shell(lang, label, inner):
    return (
        f'<div lang="{lang}" style="margin:0;padding:24px 0;background-color:#f4f5f7;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        '<tr><td align="center">\n'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:600px;max-width:100%;background-color:#ffffff;border-radius:6px;{_FONT}">\n'
        '<tr><td style="padding:14px 32px;background-color:#1f3b57;border-radius:6px 6px 0 0;'
        f'color:#ffffff;font-size:13px;letter-spacing:.05em;">{label}</td></tr>\n'
        f'<tr><td style="padding:32px;">\n{inner}</td></tr>\n'
        '</table>\n'
        '</td></tr></table>\n'
        '</div>\n'
    )


def _p(text, style=_P):
    return f'<p style="{style}">{text}</p>\n'


def _h(text):
    return f'<h1 style="margin:0 0 20px;font-size:20px;line-height:1.5;color:#1f3b57;">{text}</h1>\n'


def _button(label, url):
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;">'
        '<tr><td style="background-color:#d9531e;border-radius:4px;">'
        f'<a href="{url}" style="display:inline-block;padding:12px 28px;color:#ffffff;font-size:15px;'
        f'font-weight:bold;text-decoration:none;">{label}</a></td></tr></table>\n'
    )


def _box(inner):
    return ('<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
            'style="margin:0 0 20px;background-color:#f4f7fa;border-left:4px solid #1f3b57;">'
            f'<tr><td style="padding:16px 20px;font-size:15px;line-height:1.8;color:#222222;">{inner}</td></tr>'
            '</table>\n')


def _options(empty_text):
    """The rescue options as one button per option, or `empty_text` when the engine passed none."""
    return (
        '{% if rescue.options %}\n'
        '{% for option in rescue.options %}\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 10px;">'
        '<tr><td style="border:1px solid #1f3b57;border-radius:4px;">'
        '<a href="{{ option.url }}" style="display:block;padding:12px 16px;color:#1f3b57;font-size:15px;'
        'font-weight:bold;text-decoration:none;">{{ option.label }} &rsaquo;</a></td></tr></table>\n'
        '{% endfor %}\n'
        '{% else %}\n'
        + _p(empty_text)
        + '{% endif %}\n'
    )


# Salutation lines, shared by the Japanese mails.
_JA_TO_TEXT = '{% if contact.company %}\n{{ contact.company }}\n{% endif %}\n{{ contact.last_name or "ご担当者" }}様\n'
_JA_TO_HTML = _p('{% if contact.company %}{{ contact.company }}<br>{% endif %}{{ contact.last_name or "ご担当者" }}様')
_EN_TO = '{{ contact.first_name or "there" }}'


# -- 1. Lost deal, six months on: a personal check-in from the owner rep --------------------------------

_CHECKIN_JA_TEXT = _JA_TO_TEXT + """
ご無沙汰しております。{{ owner.name }}です。

{% if last_meeting.date %}
{{ last_meeting.date|ja_date }}にお打ち合わせの機会をいただいてから、しばらく経ちました。
{% else %}
前回ご連絡を差し上げてから、しばらく経ちました。
{% endif %}
その後、いかがお過ごしでしょうか。

以前ご検討いただいた際はタイミングが合わず、見送りとなりましたが、
この半年の間に、機能とサポート体制の見直しを進めてまいりました。
当時伺っていた課題がまだ残っているようでしたら、
改めて現状をお聞きし、お役に立てることがないかご相談させていただけませんか。

15分ほどのオンラインでも構いません。
{% if owner.scheduling_url %}
下記のページから、ご都合のよい日時をお選びいただけます。
{{ owner.scheduling_url }}
{% else %}
ご都合のよい日時をいくつかお知らせいただければ、こちらで調整いたします。
{% endif %}

状況が変わっていらっしゃる場合も、このメールに一言ご返信いただければ幸いです。
引き続きどうぞよろしくお願いいたします。

{{ owner.signature }}
"""

_CHECKIN_EN_TEXT = "Hi " + _EN_TO + """,

{% if last_meeting.date %}
It has been a while since we met on {{ last_meeting.date|en_date }}, so I wanted to check in.
{% else %}
It has been a while since we last spoke, so I wanted to check in.
{% endif %}

When we talked before, the timing wasn't right{% if contact.company %} for {{ contact.company }}{% endif %}.
Since then we have put a lot of work into the product and into how we support our customers.
If the challenges you mentioned are still on your plate, I'd be glad to hear where things
stand now and see whether we can help.

A 15-minute call is plenty.
{% if owner.scheduling_url %}
You can pick a time that suits you here:
{{ owner.scheduling_url }}
{% else %}
Just reply with a couple of times that work for you and I'll set it up.
{% endif %}

And if things have changed on your side, a one-line reply is just as welcome.

Best regards,

{{ owner.signature }}
"""

# -- 2. Useful content -----------------------------------------------------------------------------------

_CONTENT_NOTE_JA = "{# 事例集の名前・内容・URLは、お届けする資料に合わせて書き換えてください。 #}\n"
_CONTENT_NOTE_EN = "{# Replace the guide's title, highlights and link with the content you are sending. #}\n"

_CONTENT_JA_TEXT = _JA_TO_TEXT + _CONTENT_NOTE_JA + """
いつもお世話になっております。

このたび、導入企業5社の取り組みをまとめた事例集
「同じ課題を抱えていた5社は、どう解決したのか」を公開しました。

・問い合わせ対応の工数を3割減らした製造業A社の運用ルール
・失注した案件の4件に1件を、半年後の再提案で受注につなげたIT企業B社
・少人数のチームで、全社の情報共有を定着させたC社の進め方

どの事例も、導入前の課題から定着までの道のりを、担当者の声とともに紹介しています。
検討を再開される際の社内資料としても、お役立ていただけます。

▼ 事例集をダウンロードする（無料・登録不要）
https://www.example.co.jp/resources/case-studies

ご不明な点があれば、このメールへのご返信でお気軽にお問い合わせください。
"""

_CONTENT_JA_HTML = _CONTENT_NOTE_JA + _shell("ja", "お役立ち情報", (
    _JA_TO_HTML
    + _p("いつもお世話になっております。")
    + _h("同じ課題を抱えていた5社は、どう解決したのか<br>導入事例集を公開しました")
    + _box("・問い合わせ対応の工数を3割減らした製造業A社の運用ルール<br>"
           "・失注した案件の4件に1件を、半年後の再提案で受注につなげたIT企業B社<br>"
           "・少人数のチームで、全社の情報共有を定着させたC社の進め方")
    + _p("どの事例も、導入前の課題から定着までの道のりを、担当者の声とともに紹介しています。"
         "検討を再開される際の社内資料としても、お役立ていただけます。")
    + _button("事例集をダウンロードする（無料）", "https://www.example.co.jp/resources/case-studies")
    + _p("ご不明な点があれば、このメールへのご返信でお気軽にお問い合わせください。", _NOTE)
))

_CONTENT_EN_TEXT = "Hi " + _EN_TO + ",\n" + _CONTENT_NOTE_EN + """
We have just published a short guide: "How five teams solved the problem you told us about".

- How a manufacturer cut the time spent on customer inquiries by 30%
- How a software company won back one in four lost deals six months later
- How a small team got the whole company sharing information in one place

Each story follows the team from the problem they started with to the day the new way of
working stuck, in their own words. It also makes a handy brief if you reopen the topic internally.

Download the guide (free, no sign-up):
https://www.example.co.jp/resources/case-studies

Questions? Just reply to this email.
"""

_CONTENT_EN_HTML = _CONTENT_NOTE_EN + _shell("en", "Worth a read", (
    _p("Hi " + _EN_TO + ",")
    + _h("How five teams solved the problem you told us about")
    + _box("&bull; How a manufacturer cut the time spent on customer inquiries by 30%<br>"
           "&bull; How a software company won back one in four lost deals six months later<br>"
           "&bull; How a small team got the whole company sharing information in one place")
    + _p("Each story follows the team from the problem they started with to the day the new way of working "
         "stuck, in their own words. It also makes a handy brief if you reopen the topic internally.")
    + _button("Download the guide (free)", "https://www.example.co.jp/resources/case-studies")
    + _p("Questions? Just reply to this email.", _NOTE)
))

# -- 3. Webinar invitation -------------------------------------------------------------------------------

_WEBINAR_SET_JA = """{# 開催内容に合わせて、次の4行を書き換えてください（テキスト本文とHTML本文の両方にあります）。 #}
{% set webinar_title = "失注・休眠顧客を商談に戻す フォローアップ実践講座" %}
{% set webinar_when = "2026年7月15日（水）14:00〜15:00" %}
{% set webinar_where = "オンライン（Zoom）・参加無料" %}
{% set webinar_url = "https://www.example.co.jp/webinar/2026-07" %}
"""
_WEBINAR_SET_EN = """{# Change these four lines to match your webinar (they are in both the text and the HTML body). #}
{% set webinar_title = "Bringing lost and dormant deals back to the table" %}
{% set webinar_when = "Wednesday, July 15, 2026, 14:00-15:00 JST" %}
{% set webinar_where = "Online (Zoom), free of charge" %}
{% set webinar_url = "https://www.example.co.jp/webinar/2026-07" %}
"""

_WEBINAR_JA_TEXT = _WEBINAR_SET_JA + _JA_TO_TEXT + """
いつもお世話になっております。

このたび、オンラインセミナー「{{ webinar_title }}」を開催いたします。
一度は見送りとなった案件や、しばらく動きのないお客様と、
無理なく関係を取り戻すための進め方を、実際の事例をもとに60分でご紹介します。

■ 日時：{{ webinar_when }}
■ 会場：{{ webinar_where }}

■ 内容
1. 失注・休眠の理由を分けて考える
2. 「押し売り」にならない再接点のつくり方
3. 半年後の再提案で受注につなげた事例

▼ お申し込みはこちら
{{ webinar_url }}

当日ご都合が合わない方も、お申し込みいただければ後日録画をお送りします。
皆さまのご参加を心よりお待ちしております。
"""

_WEBINAR_JA_HTML = _WEBINAR_SET_JA + _shell("ja", "オンラインセミナーのご案内", (
    _JA_TO_HTML
    + _p("いつもお世話になっております。")
    + _h("{{ webinar_title }}")
    + _p("一度は見送りとなった案件や、しばらく動きのないお客様と、無理なく関係を取り戻すための進め方を、"
         "実際の事例をもとに60分でご紹介します。")
    + _box("<strong>日時</strong>　{{ webinar_when }}<br><strong>会場</strong>　{{ webinar_where }}")
    + _p("<strong>内容</strong><br>1. 失注・休眠の理由を分けて考える<br>"
         "2. 「押し売り」にならない再接点のつくり方<br>3. 半年後の再提案で受注につなげた事例")
    + _button("参加を申し込む", "{{ webinar_url }}")
    + _p("当日ご都合が合わない方も、お申し込みいただければ後日録画をお送りします。", _NOTE)
))

_WEBINAR_EN_TEXT = _WEBINAR_SET_EN + "Hi " + _EN_TO + """,

You are invited to our webinar, "{{ webinar_title }}".
In 60 minutes we will walk through real examples of how teams reconnect with deals that
stalled and customers who went quiet, without being pushy.

When:  {{ webinar_when }}
Where: {{ webinar_where }}

What we will cover
1. Telling apart why deals stall and why customers go quiet
2. Reaching out again in a way people welcome
3. A deal won six months after it was lost: what made the difference

Save your seat:
{{ webinar_url }}

Can't make it on the day? Register anyway and we will send you the recording.
"""

_WEBINAR_EN_HTML = _WEBINAR_SET_EN + _shell("en", "Webinar invitation", (
    _p("Hi " + _EN_TO + ",")
    + _h("{{ webinar_title }}")
    + _p("In 60 minutes we will walk through real examples of how teams reconnect with deals that stalled and "
         "customers who went quiet, without being pushy.")
    + _box("<strong>When</strong>&nbsp; {{ webinar_when }}<br><strong>Where</strong>&nbsp; {{ webinar_where }}")
    + _p("<strong>What we will cover</strong><br>1. Telling apart why deals stall and why customers go quiet<br>"
         "2. Reaching out again in a way people welcome<br>"
         "3. A deal won six months after it was lost: what made the difference")
    + _button("Save your seat", "{{ webinar_url }}")
    + _p("Can't make it on the day? Register anyway and we will send you the recording.", _NOTE)
))

# -- 4. Pre-notice (60 days before lapse) ----------------------------------------------------------------

_PRE_JA_TEXT = _JA_TO_TEXT + """
いつも{{ contract.plan }}をご利用いただき、誠にありがとうございます。

現在のご契約は、{{ contract.lapse_date|ja_date }}に満了を迎えます（満了まであと{{ contract.days_left }}日）。
引き続きご利用いただく場合は、満了日までに更新のお手続きをお願いいたします。
{% if contract.loses %}
満了後は、{{ contract.loses }}がご利用いただけなくなりますので、あらかじめご留意ください。
{% endif %}

ご利用状況に合わせたプランの見直しも承っております。
{% if owner.name %}
ご不明な点は、担当の{{ owner.name }}（{{ owner.email }}）までお気軽にご連絡ください。
{% else %}
ご不明な点は、このメールへのご返信にてお気軽にお問い合わせください。
{% endif %}

今後とも、どうぞよろしくお願いいたします。
"""

_PRE_JA_HTML = _shell("ja", "ご契約に関するご案内", (
    _JA_TO_HTML
    + _p("いつも{{ contract.plan }}をご利用いただき、誠にありがとうございます。")
    + _box("<strong>ご契約プラン</strong>　{{ contract.plan }}<br>"
           "<strong>満了日</strong>　{{ contract.lapse_date|ja_date }}（あと{{ contract.days_left }}日）")
    + _p("引き続きご利用いただく場合は、満了日までに更新のお手続きをお願いいたします。"
         "{% if contract.loses %}満了後は、{{ contract.loses }}がご利用いただけなくなりますので、"
         "あらかじめご留意ください。{% endif %}")
    + _p("ご利用状況に合わせたプランの見直しも承っております。"
         "{% if owner.name %}ご不明な点は、担当の{{ owner.name }}（<a href=\"mailto:{{ owner.email }}\" "
         "style=\"color:#1f3b57;\">{{ owner.email }}</a>）までお気軽にご連絡ください。"
         "{% else %}ご不明な点は、このメールへのご返信にてお気軽にお問い合わせください。{% endif %}")
    + _p("今後とも、どうぞよろしくお願いいたします。")
))

_PRE_EN_TEXT = "Hi " + _EN_TO + """,

Thank you for using {{ contract.plan }}.

This is a friendly reminder that your contract ends on {{ contract.lapse_date|en_date }},
{{ contract.days_left }} days from now. To keep using it without interruption, please renew before then.
{% if contract.loses %}
After that date you will no longer have access to {{ contract.loses }}.
{% endif %}

If your needs have changed, we are happy to look at a plan that fits better.
{% if owner.name %}
{{ owner.name }} ({{ owner.email }}) is your contact for any questions.
{% else %}
Just reply to this email with any questions.
{% endif %}

Thank you for working with us.
"""

_PRE_EN_HTML = _shell("en", "About your contract", (
    _p("Hi " + _EN_TO + ",")
    + _p("Thank you for using {{ contract.plan }}.")
    + _box("<strong>Plan</strong>&nbsp; {{ contract.plan }}<br>"
           "<strong>Ends on</strong>&nbsp; {{ contract.lapse_date|en_date }} ({{ contract.days_left }} days from now)")
    + _p("To keep using it without interruption, please renew before then."
         "{% if contract.loses %} After that date you will no longer have access to {{ contract.loses }}.{% endif %}")
    + _p("If your needs have changed, we are happy to look at a plan that fits better. "
         "{% if owner.name %}{{ owner.name }} (<a href=\"mailto:{{ owner.email }}\" style=\"color:#1f3b57;\">"
         "{{ owner.email }}</a>) is your contact for any questions.{% else %}Just reply to this email with any "
         "questions.{% endif %}")
    + _p("Thank you for working with us.")
))

# -- 5. Lapse notice with options (30 days before) -------------------------------------------------------

_NOTICE_JA_TEXT = _JA_TO_TEXT + """
いつもご利用いただき、ありがとうございます。
{{ contract.plan }}のご契約は、{{ contract.lapse_date|ja_date }}に満了となります（あと{{ contract.days_left }}日）。

{% if rescue.options %}
ご利用状況に合わせてお選びいただけるよう、次の方法をご用意しました。
{% if rescue.deadline %}{{ rescue.deadline|ja_date }}までに、{% endif %}ご希望のものをお選びください。
{% for option in rescue.options %}

■ {{ option.label }}
{{ option.url }}
{% endfor %}

リンクを開くと、ご契約内容をご確認のうえ、そのままお選びいただけます（ログインは不要です）。
{% else %}
引き続きご利用いただく場合は、このメールにご返信ください。担当よりお手続きをご案内いたします。
{% endif %}
{% if contract.loses %}

お手続きのないまま満了日を過ぎますと、{{ contract.loses }}がご利用いただけなくなります。
{% endif %}

どの方法が合うか迷われる場合は、{% if owner.name %}担当の{{ owner.name }}まで、{% endif %}このメールにご返信ください。
ご状況を伺ったうえで、最適な方法をご提案いたします。
"""

_NOTICE_JA_HTML = _shell("ja", "ご契約に関する大切なお知らせ", (
    _JA_TO_HTML
    + _p("いつもご利用いただき、ありがとうございます。")
    + _h("{{ contract.plan }}のご継続方法をお選びください")
    + _box("<strong>満了日</strong>　{{ contract.lapse_date|ja_date }}（あと{{ contract.days_left }}日）"
           "{% if rescue.deadline %}<br><strong>ご回答期限</strong>　{{ rescue.deadline|ja_date }}{% endif %}")
    + "{% if rescue.options %}\n"
    + _p("ご利用状況に合わせてお選びいただけるよう、次の方法をご用意しました。ボタンを押すと、"
         "ご契約内容をご確認のうえ、そのままお選びいただけます（ログインは不要です）。")
    + "{% endif %}\n"
    + _options("引き続きご利用いただく場合は、このメールにご返信ください。担当よりお手続きをご案内いたします。")
    + _p("{% if contract.loses %}お手続きのないまま満了日を過ぎますと、{{ contract.loses }}がご利用いただけなく"
         "なります。{% endif %}どの方法が合うか迷われる場合は、{% if owner.name %}担当の{{ owner.name }}まで、"
         "{% endif %}このメールにご返信ください。", _NOTE)
))

_NOTICE_EN_TEXT = "Hi " + _EN_TO + """,

Your {{ contract.plan }} contract ends on {{ contract.lapse_date|en_date }}, {{ contract.days_left }} days from now.

{% if rescue.options %}
To make the next step easy, we have put together a few options.
Please choose the one that suits you{% if rescue.deadline %} by {{ rescue.deadline|en_date }}{% endif %}:
{% for option in rescue.options %}

* {{ option.label }}
  {{ option.url }}
{% endfor %}

Each link shows your contract and lets you confirm your choice right away. No login needed.
{% else %}
If you would like to continue, just reply to this email and we will take care of the rest.
{% endif %}
{% if contract.loses %}

If nothing is chosen by the end date, you will lose access to {{ contract.loses }}.
{% endif %}

Not sure which option fits? Reply to this email{% if owner.name %} and {{ owner.name }} will get back to you{% endif %}.
"""

_NOTICE_EN_HTML = _shell("en", "Important: your contract", (
    _p("Hi " + _EN_TO + ",")
    + _h("Choose how to continue with {{ contract.plan }}")
    + _box("<strong>Ends on</strong>&nbsp; {{ contract.lapse_date|en_date }} ({{ contract.days_left }} days from now)"
           "{% if rescue.deadline %}<br><strong>Please choose by</strong>&nbsp; "
           "{{ rescue.deadline|en_date }}{% endif %}")
    + "{% if rescue.options %}\n"
    + _p("To make the next step easy, we have put together a few options. Each button shows your contract and "
         "lets you confirm your choice right away. No login needed.")
    + "{% endif %}\n"
    + _options("If you would like to continue, just reply to this email and we will take care of the rest.")
    + _p("{% if contract.loses %}If nothing is chosen by the end date, you will lose access to {{ contract.loses }}. "
         "{% endif %}Not sure which option fits? Reply to this email{% if owner.name %} and {{ owner.name }} will get "
         "back to you{% endif %}.", _NOTE)
))

# -- 6. Last call (7 days before) ------------------------------------------------------------------------

_LAST_JA_TEXT = _JA_TO_TEXT + """
{{ contract.plan }}のご契約は、{{ contract.lapse_date|ja_date }}に満了となります。
満了まで、残り{{ contract.days_left }}日となりましたので、念のためご連絡いたしました。
{% if contract.loses %}
満了日を過ぎますと、{{ contract.loses }}がご利用いただけなくなります。
{% endif %}

{% if rescue.options %}
ご継続の方法は、下記からお選びいただけます{% if rescue.deadline %}（{{ rescue.deadline|ja_date }}まで）{% endif %}。
{% for option in rescue.options %}
■ {{ option.label }}
{{ option.url }}
{% endfor %}
{% else %}
引き続きご利用いただく場合は、このメールにご返信ください。
{% endif %}

すでにお手続きいただいている場合は、行き違いとなりましたことをご容赦ください。
"""

_LAST_JA_HTML = _shell("ja", "ご契約満了のお知らせ", (
    _JA_TO_HTML
    + _h("{{ contract.plan }}の満了まで、残り{{ contract.days_left }}日です")
    + _p("{{ contract.plan }}のご契約は、<strong>{{ contract.lapse_date|ja_date }}</strong>に満了となります。"
         "{% if contract.loses %}満了日を過ぎますと、{{ contract.loses }}がご利用いただけなくなります。{% endif %}")
    + "{% if rescue.options %}\n"
    + _p("ご継続の方法は、下記からお選びいただけます"
         "{% if rescue.deadline %}（{{ rescue.deadline|ja_date }}まで）{% endif %}。")
    + "{% endif %}\n"
    + _options("引き続きご利用いただく場合は、このメールにご返信ください。")
    + _p("すでにお手続きいただいている場合は、行き違いとなりましたことをご容赦ください。", _NOTE)
))

_LAST_EN_TEXT = "Hi " + _EN_TO + """,

A quick reminder: your {{ contract.plan }} contract ends on {{ contract.lapse_date|en_date }},
just {{ contract.days_left }} days from now.
{% if contract.loses %}
After that date you will lose access to {{ contract.loses }}.
{% endif %}

{% if rescue.options %}
You can still choose how to continue{% if rescue.deadline %} until {{ rescue.deadline|en_date }}{% endif %}:
{% for option in rescue.options %}
* {{ option.label }}
  {{ option.url }}
{% endfor %}
{% else %}
To continue, just reply to this email.
{% endif %}

If you have already taken care of this, thank you, and please ignore this reminder.
"""

_LAST_EN_HTML = _shell("en", "Your contract ends soon", (
    _p("Hi " + _EN_TO + ",")
    + _h("{{ contract.days_left }} days left on {{ contract.plan }}")
    + _p("Your contract ends on <strong>{{ contract.lapse_date|en_date }}</strong>."
         "{% if contract.loses %} After that date you will lose access to {{ contract.loses }}.{% endif %}")
    + "{% if rescue.options %}\n"
    + _p("You can still choose how to continue{% if rescue.deadline %} until {{ rescue.deadline|en_date }}"
         "{% endif %}:")
    + "{% endif %}\n"
    + _options("To continue, just reply to this email.")
    + _p("If you have already taken care of this, thank you, and please ignore this reminder.", _NOTE)
))

# -- 7. Win-back after lapse (7 days after) --------------------------------------------------------------

_WINBACK_NOTE_JA = "{# データの保管期間は、自社の規定に合わせて書き換えてください。 #}\n"
_WINBACK_NOTE_EN = "{# Change how long data is kept to match your own policy. #}\n"

_WINBACK_JA_TEXT = _WINBACK_NOTE_JA + _JA_TO_TEXT + """
{{ contract.plan }}のご契約は、{{ contract.lapse_date|ja_date }}をもって満了となりました。
これまでご利用いただき、誠にありがとうございました。

満了から90日間は、アカウントとデータをそのままお預かりしています。
この期間にお手続きいただければ、以前の設定のまま、すぐにご利用を再開いただけます。

また、もしよろしければ、ご継続を見送られた理由をお聞かせいただけないでしょうか。
いただいたお声は、今後のサービス改善に必ず活かしてまいります。
このメールに一言ご返信いただくだけでも、大変ありがたく存じます。
{% if owner.scheduling_url %}

再開やプランのご相談は、こちらからご都合のよい日時をお選びください。
{{ owner.scheduling_url }}
{% endif %}

またご一緒できる日を、心よりお待ちしております。
"""

_WINBACK_JA_HTML = _WINBACK_NOTE_JA + _shell("ja", "これまでのご利用に感謝を込めて", (
    _JA_TO_HTML
    + _p("{{ contract.plan }}のご契約は、{{ contract.lapse_date|ja_date }}をもって満了となりました。"
         "これまでご利用いただき、誠にありがとうございました。")
    + _box("満了から90日間は、アカウントとデータをそのままお預かりしています。"
           "この期間にお手続きいただければ、以前の設定のまま、すぐにご利用を再開いただけます。")
    + _p("また、もしよろしければ、ご継続を見送られた理由をお聞かせいただけないでしょうか。"
         "このメールに一言ご返信いただくだけでも、今後のサービス改善に大変役立ちます。")
    + "{% if owner.scheduling_url %}\n"
    + _button("再開について相談する", "{{ owner.scheduling_url }}")
    + "{% endif %}\n"
    + _p("またご一緒できる日を、心よりお待ちしております。")
))

_WINBACK_EN_TEXT = _WINBACK_NOTE_EN + "Hi " + _EN_TO + """,

Your {{ contract.plan }} contract ended on {{ contract.lapse_date|en_date }}. Thank you for the time we worked together.

We keep your account and data for 90 days after the end date. If you come back within
that time, everything will be just as you left it.

If you have a moment, we would love to know why you decided not to continue.
A one-line reply to this email helps us more than you might think.
{% if owner.scheduling_url %}

If you would like to talk about coming back, or about a plan that fits better, pick a time here:
{{ owner.scheduling_url }}
{% endif %}

We hope to work with you again.
"""

_WINBACK_EN_HTML = _WINBACK_NOTE_EN + _shell("en", "Thank you", (
    _p("Hi " + _EN_TO + ",")
    + _p("Your {{ contract.plan }} contract ended on {{ contract.lapse_date|en_date }}. "
         "Thank you for the time we worked together.")
    + _box("We keep your account and data for 90 days after the end date. If you come back within that time, "
           "everything will be just as you left it.")
    + _p("If you have a moment, we would love to know why you decided not to continue. "
         "A one-line reply to this email helps us more than you might think.")
    + "{% if owner.scheduling_url %}\n"
    + _button("Talk about coming back", "{{ owner.scheduling_url }}")
    + "{% endif %}\n"
    + _p("We hope to work with you again.")
))


def _entry(key, language, name, style, subject, body_text, body_html=""):
    return {"key": key, "language": language, "name": name, "style": style, "subject": subject,
            "body_text": body_text, "body_html": body_html}


STARTERS = (
    _entry("lost-deal-checkin", "ja", "失注から半年後のフォロー（担当者から個別に）", "personal",
           "その後のご状況について（{{ contact.company }} {{ contact.last_name }}様）", _CHECKIN_JA_TEXT),
    _entry("lost-deal-checkin", "en", "Lost deal, six months on: personal check-in", "personal",
           "Checking in{% if contact.first_name %}, {{ contact.first_name }}{% endif %}", _CHECKIN_EN_TEXT),
    _entry("useful-content", "ja", "お役立ち情報（導入事例集のご案内）", "newsletter",
           "【事例集】同じ課題を抱えていた5社は、どう解決したのか", _CONTENT_JA_TEXT, _CONTENT_JA_HTML),
    _entry("useful-content", "en", "Useful content: customer stories guide", "newsletter",
           "How five teams solved the problem you told us about", _CONTENT_EN_TEXT, _CONTENT_EN_HTML),
    _entry("webinar-invitation", "ja", "ウェビナーのご案内", "newsletter",
           "【無料オンラインセミナー】失注・休眠顧客を商談に戻す フォローアップ実践講座のご案内",
           _WEBINAR_JA_TEXT, _WEBINAR_JA_HTML),
    _entry("webinar-invitation", "en", "Webinar invitation", "newsletter",
           "You're invited: bringing lost and dormant deals back to the table (free webinar)",
           _WEBINAR_EN_TEXT, _WEBINAR_EN_HTML),
    _entry("lapse-pre-notice", "ja", "満了前のご案内（60日前）", "newsletter",
           "【ご契約更新のご案内】{{ contract.plan }}は{{ contract.lapse_date|ja_date }}に満了します",
           _PRE_JA_TEXT, _PRE_JA_HTML),
    _entry("lapse-pre-notice", "en", "Pre-notice before lapse (60 days)", "newsletter",
           "Your {{ contract.plan }} contract ends on {{ contract.lapse_date|en_date }}", _PRE_EN_TEXT, _PRE_EN_HTML),
    _entry("lapse-notice-options", "ja", "満了通知と継続方法のご提案（30日前）", "newsletter",
           "【ご確認ください】{{ contract.plan }}のご継続方法をお選びください", _NOTICE_JA_TEXT, _NOTICE_JA_HTML),
    _entry("lapse-notice-options", "en", "Lapse notice with options (30 days)", "newsletter",
           "Choose how to continue with {{ contract.plan }}", _NOTICE_EN_TEXT, _NOTICE_EN_HTML),
    _entry("lapse-last-call", "ja", "満了直前の最終ご案内（7日前）", "newsletter",
           "【残り{{ contract.days_left }}日】{{ contract.plan }}のご契約は"
           "{{ contract.lapse_date|ja_date }}に満了します",
           _LAST_JA_TEXT, _LAST_JA_HTML),
    _entry("lapse-last-call", "en", "Last call before lapse (7 days)", "newsletter",
           "{{ contract.days_left }} days left: your {{ contract.plan }} contract ends on "
           "{{ contract.lapse_date|en_date }}", _LAST_EN_TEXT, _LAST_EN_HTML),
    _entry("win-back", "ja", "満了後の再開のご案内（満了7日後）", "newsletter",
           "これまでのご利用ありがとうございました ― {{ contract.plan }}再開のご案内", _WINBACK_JA_TEXT,
           _WINBACK_JA_HTML),
    _entry("win-back", "en", "Win-back after lapse (7 days after)", "newsletter",
           "Thank you, and your {{ contract.plan }} data is still here", _WINBACK_EN_TEXT, _WINBACK_EN_HTML),
)
