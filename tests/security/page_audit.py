"""Every HTML page an admin can open, and what a page's markup holds that a Content-Security-Policy cares about.

Shared by the header test and the CSRF test. The page list starts from the
access matrix (tests/accounts/test_access.py: every named URL an admin gets
200 for) and adds what the matrix cannot name: the Django admin's model
pages, the public pages reached from sent mail with real tokens, error pages.
"""
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from alerts.models import Alert, Trigger
from campaigns import rescue
from contacts.models import Contact
from tests.accounts.sent_mail import broadcast_send, rescue_timeline
from tests.accounts.test_access import ADMIN, EXPECTED, url_args  # noqa: F401  (url_args: a fixture)

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc"}


class PageAudit(HTMLParser):
    """Collects inline scripts, event-handler and style attributes, javascript: URLs, and the POST forms."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.inline_scripts, self.handlers, self.styles, self.js_urls = [], [], [], []
        self.post_forms = []  # [action, has csrfmiddlewaretoken]
        self._form = None
        self._script = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.styles.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.js_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            kind = (values.get("type") or "").lower()
            if "src" not in values and kind != "application/json":
                self._script = [str(values), ""]
        elif tag == "form":
            if (values.get("method") or "get").lower() == "post":
                self._form = [values.get("action", ""), False]
                self.post_forms.append(self._form)
        elif tag == "input" and self._form is not None and values.get("name") == "csrfmiddlewaretoken":
            self._form[1] = bool(values.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "script" and self._script is not None:
            self.inline_scripts.append(f"<script {self._script[0]}>{self._script[1][:80]}")
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data


def admin_urls(superuser):
    """The Django admin: the index, and every registered model's list and (where adding is allowed) add page."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if model_admin.has_add_permission(request):  # API keys: only from Settings → API keys, shown once
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return urls


def admin_pages(args):
    """Every named URL an admin opens with 200, reversed with the access matrix's arguments."""
    return [reverse(name, kwargs=args.get(name)) for name, expected in EXPECTED.items()
            if expected[ADMIN] == 200]


# Pages that show HTML we do not write may style inline; script-src is strict on every page.
INLINE_STYLE_PAGES = {
    "campaigns:template_preview": "the mail's own HTML in a sandboxed srcdoc frame, which inherits the policy",
    "api:docs": "Swagger UI's page has an inline <style> block",
}


@pytest.fixture
def html_pages(url_args, admin_user, settings):  # noqa: F811
    """(url, name) of every HTML page to audit; name is the URL name when it has one."""
    admin_user.is_superuser = True  # as make run's admin: the Django admin's model pages need the permissions
    admin_user.save(update_fields=["is_superuser"])
    contact = Contact.objects.get(email="walk@example.com")
    Alert.objects.create(trigger=Trigger.objects.first() or Trigger.objects.create(name="Sec", kind="reply_or_form"),
                         contact=contact, fired_at="2026-06-01T00:00:00Z", assignee=admin_user)
    deliveries, _messages = broadcast_send(settings)
    timeline = rescue_timeline()
    pages = [(url, None) for url in admin_pages(url_args)]
    names = {reverse(name, kwargs=url_args.get(name)): name for name in INLINE_STYLE_PAGES}
    pages = [(url, names.get(url)) for url, _ in pages]
    template = url_args["campaigns:template_preview"]["pk"]
    pages += [
        (reverse("campaigns:template_preview", args=[template]) + f"?contact={contact.pk}",
         "campaigns:template_preview"),
        (reverse("contacts:list") + "?q=walk", None),
        (reverse("admin:auth_user_change", args=[admin_user.pk]), None),
        *[(url, None) for url in admin_urls(admin_user)],
        (reverse("mail:unsubscribe", args=[deliveries[0].token]), None),
        (reverse("mail:one_click", args=[deliveries[0].token]), None),
        (reverse("rescue:options", args=[rescue.rescue_token(timeline)]), None),
        ("/no-such-page/", None),
    ]
    return pages
