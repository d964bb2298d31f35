"""A digest of the whole database, to assert that a refused request wrote nothing anywhere."""
import hashlib

from django.apps import apps


def db_fingerprint():
    """A digest of every row of every table (sessions aside): equal before and after means nothing was written."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table == "django_session":
            continue
        for row in model._base_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def posts_refused(client, names, url_args, form):
    """POST `form` to each named URL: ["name url: what went wrong"] for each that was not refused with 403 or that
    changed any row."""
    from django.urls import reverse

    failures = []
    for name in names:
        url = reverse(name, kwargs=url_args.get(name))
        before = db_fingerprint()
        response = client.post(url, form)
        if response.status_code != 403:
            failures.append(f"{name} {url}: {response.status_code}")
        if db_fingerprint() != before:
            failures.append(f"{name} {url}: data changed")
    return failures
