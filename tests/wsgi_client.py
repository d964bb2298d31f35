"""A test client that sends the open pixel, click and beacon through config.wsgi.application, the WSGI app
gunicorn serves (tracking/wsgi.py answers them in front of Django's handler), and every other request through
Django's test client as usual.

Django's test client calls its own handler and never sees that wrapper, so the tests that must hold for
production traffic run again with this one (their `client` fixture overridden). As Django's test client does,
it keeps the request signals from closing the test's database connection inside its transaction.
"""
import json

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client

from config.wsgi import application
from tracking.wsgi import route


class WsgiClient(Client):
    def request(self, **request):
        if route(request.get("PATH_INFO", "")) is None:
            return super().request(**request)
        environ = self._base_environ(**request)
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            iterable = application(environ, start_response)
            body = b"".join(iterable)
            if hasattr(iterable, "close"):
                iterable.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        code, reason = answer["status"].split(" ", 1)
        response = HttpResponse(body, status=int(code), reason=reason)
        del response["Content-Type"]
        for name, value in answer["headers"]:
            response.headers[name] = value  # repeated headers: the last one (none of these answers repeats one)
        response.json = lambda: json.loads(body)
        response.served_by_fast_path = True
        return response
