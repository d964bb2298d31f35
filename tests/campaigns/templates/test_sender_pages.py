"""Sender profiles and sending settings (admins only): missing legal details are plain to see; settings save."""
from datetime import time

import pytest
from django.urls import reverse

from campaigns.models import SenderProfile, SendingSettings

pytestmark = pytest.mark.django_db
COMPLETE = {"name": "Main", "from_name": "Rekindle 営業部", "from_email": "sales@example.co.jp", "reply_to": "",
            "organisation": "株式会社リキンドル", "postal_address": "東京都千代田区丸の内1-1-1",
            "inquiry_contact": "03-1234-5678", "unsubscribe_email": "", "is_default": "on"}
SETTINGS = {"frequency_cap_count": 3, "frequency_cap_days": 10, "quiet_start": "21:30", "quiet_end": "07:45",
            "quiet_weekends": "on", "rate_per_minute": 120}


@pytest.mark.parametrize("name", ["campaigns:sender_list", "campaigns:sender_new", "campaigns:sending_settings"])
def test_marketers_and_reps_are_kept_out(client, marketer, rep, name):
    for user in (marketer, rep):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


def test_list_shows_which_legal_details_are_missing(client, admin_user):
    SenderProfile.objects.create(name="Half", from_name="Half", from_email="half@example.com")
    SenderProfile.objects.create(**{**COMPLETE, "is_default": True})
    client.force_login(admin_user)
    response = client.get(reverse("campaigns:sender_list"))
    html = response.content.decode()
    assert "Act on Specified Electronic Mail" in html
    assert "Add: postal address, inquiry contact" in html
    assert html.count("Missing details") == 1 and html.count(">Ready<") == 1


def test_edit_page_lists_missing_details(client, admin_user):
    profile = SenderProfile.objects.create(name="Half", from_name="Half", from_email="half@example.com",
                                           postal_address="東京都")
    client.force_login(admin_user)
    html = client.get(reverse("campaigns:sender_edit", args=[profile.pk])).content.decode()
    assert 'id="missing-details"' in html and "<strong>inquiry contact</strong>" in html


def test_create_a_complete_profile(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:sender_new"), COMPLETE, follow=True)
    profile = SenderProfile.objects.get()
    assert (profile.from_email, profile.postal_address, profile.is_default, profile.missing()) == (
        "sales@example.co.jp", "東京都千代田区丸の内1-1-1", True, [])
    assert "It has every detail the law asks for." in response.content.decode()


def test_saving_an_incomplete_profile_warns(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:sender_new"), {**COMPLETE, "postal_address": ""}, follow=True)
    assert "Campaigns cannot start with this profile until it has: postal address." in response.content.decode()


def test_only_one_default_profile(client, admin_user):
    first = SenderProfile.objects.create(**{**COMPLETE, "is_default": True})
    client.force_login(admin_user)
    client.post(reverse("campaigns:sender_new"), {**COMPLETE, "name": "Second"})
    first.refresh_from_db()
    assert (first.is_default, SenderProfile.objects.get(name="Second").is_default) == (False, True)


def test_the_only_profile_is_the_default(client, admin_user):
    client.force_login(admin_user)
    client.post(reverse("campaigns:sender_new"), {k: v for k, v in COMPLETE.items() if k != "is_default"})
    assert SenderProfile.objects.get().is_default is True


def test_bad_address_is_refused(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:sender_new"), {**COMPLETE, "from_email": "not an address"})
    assert response.status_code == 200 and "from_email" in response.context["form"].errors
    assert not SenderProfile.objects.exists()


def test_sending_settings_save(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:sending_settings"), SETTINGS, follow=True)
    saved = SendingSettings.load()
    assert (saved.frequency_cap_count, saved.frequency_cap_days, saved.quiet_start, saved.quiet_end,
            saved.quiet_weekends, saved.quiet_holidays, saved.rate_per_minute) == (
        3, 10, time(21, 30), time(7, 45), True, False, 120)
    assert SendingSettings.objects.count() == 1
    assert "Sending settings saved." in response.content.decode()


def test_sending_settings_refuse_a_zero_day_window(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("campaigns:sending_settings"), {**SETTINGS, "frequency_cap_days": 0})
    assert response.status_code == 200 and "frequency_cap_days" in response.context["form"].errors
    assert SendingSettings.load().frequency_cap_days == 7


def test_sending_settings_page_shows_current_values(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("campaigns:sending_settings")).content.decode()
    assert 'value="20:00"' in html and 'value="08:00"' in html
