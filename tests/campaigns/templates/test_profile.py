"""My profile: every role edits its own signature and booking page, which personal mails then use."""
import pytest
from django.urls import reverse

from accounts.models import RepProfile
from campaigns.merge import merge_context
from contacts.models import Contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["rep", "marketer", "admin_user"])
def test_every_role_has_a_profile_page(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_rep_sets_signature_and_booking_page_used_by_merge_fields(client, rep):
    client.force_login(rep)
    response = client.post(reverse("accounts:profile"), {"signature": "  佐藤 太郎\n営業部  ",
                                                         "scheduling_url": "cal.example.com/sato"})
    assert response.status_code == 302
    profile = RepProfile.objects.get(user=rep)
    assert (profile.signature, profile.scheduling_url) == ("佐藤 太郎\n営業部", "https://cal.example.com/sato")
    owner = merge_context(contact=Contact.objects.create(email="c@example.com", owner=rep))["owner"]
    assert (owner["signature"], owner["scheduling_url"]) == ("佐藤 太郎\n営業部", "https://cal.example.com/sato")


def test_saving_twice_keeps_one_profile(client, rep):
    client.force_login(rep)
    for signature in ("one", "two"):
        client.post(reverse("accounts:profile"), {"signature": signature, "scheduling_url": ""})
    assert list(RepProfile.objects.values_list("user_id", "signature")) == [(rep.pk, "two")]


def test_bad_url_is_refused(client, rep):
    client.force_login(rep)
    response = client.post(reverse("accounts:profile"), {"signature": "x", "scheduling_url": "javascript:alert(1)"})
    assert response.status_code == 200 and "scheduling_url" in response.context["form"].errors
    assert not RepProfile.objects.exists()
