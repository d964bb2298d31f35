"""The public mail URLs (/m/…, namespace "mail"): campaigns' own pages plus the open pixel and the click redirect,
served by tracking so they go through the buffered event pipeline. The paths are the ones in every mail sent:
none is ever retired while mail carrying it may still be opened."""
from django.urls import re_path

from campaigns import urls_public
from campaigns.sending.signed_links import KEY as SIGNED
from campaigns.sending.signed_links import TARGET

from . import views_public

KEY = urls_public.LINK_KEY
app_name = urls_public.app_name  # "mail", as the links in sent mail were reversed
urlpatterns = [
    *urls_public.urlpatterns,
    re_path(rf"^p/{SIGNED}\.gif$", views_public.open_signed, name="open_signed"),
    re_path(rf"^r/{SIGNED}/{TARGET}$", views_public.click_signed, name="click_signed"),
    # The stored-token forms: mail sent before the signed forms, and destinations too long to sign.
    re_path(rf"^o/{KEY}\.gif$", views_public.open_pixel, name="open"),
    re_path(rf"^c/{KEY}/(?P<position>[0-9]{{1,5}})$", views_public.click, name="click"),
]
