"""Content-Security-Policy on every HTML page: scripts and styles only from our own static files.

No page carries an inline script, an inline event handler or a `javascript:`
URL (data goes through `json_script`, behaviour through static/…/*.js), so
`script-src 'self'` holds everywhere and an injected `<script>` or `onerror=`
does not run. Styles are held the same way: no `style=` attribute in our
templates. A view that shows foreign HTML (a marketer's mail in a sandboxed
`srcdoc` frame, which inherits this policy) or a third-party page (Swagger UI)
widens only what it needs, and never script-src, with `csp_update`.

Only text/html answers get the header: the tracking snippet, pixel and beacon
are not documents, and the pixel, click and beacon answer in
tracking.middleware before this one runs, so their lean path costs nothing more.
"""
from functools import wraps

HEADER = "Content-Security-Policy"
POLICY = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),  # Bootstrap draws its icons (select caret, menu toggler) as data: SVG
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}


def policy_header(extra=None):
    """The header value: POLICY plus the sources in `extra` ({directive: (source, …)})."""
    directives = dict(POLICY)
    for name, sources in (extra or {}).items():
        if name == "script-src":
            raise ValueError("script-src is never widened")
        directives[name] = directives.get(name, ()) + tuple(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def csp_update(**directives):
    """Widen the policy of one view: `@csp_update(style_src=("'unsafe-inline'",))`."""
    extra = {name.replace("_", "-"): tuple(sources) for name, sources in directives.items()}
    header = policy_header(extra)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.csp_header = header
            return response
        return wrapped
    return decorator


class ContentSecurityPolicyMiddleware:
    """Sets the policy on HTML answers that do not carry one yet."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = policy_header()

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response and response.get("Content-Type", "").startswith("text/html"):
            response[HEADER] = getattr(response, "csp_header", self.header)
        return response
