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
