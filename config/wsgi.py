import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from tracking.wsgi import TrackingFastPath  # noqa: E402 - needs the apps loaded

# The open pixel, click redirect and beacon are answered ahead of Django's handler (tracking/wsgi.py).
application = TrackingFastPath(django_application) if settings.TRACKING_FAST_PATH else django_application
