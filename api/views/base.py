from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView

CREATED, CHANGED = "created", "changed"


class ApiView(GenericAPIView):
    # Base of every endpoint; each names its roles (none means nobody). DRF
    # authenticates (API key or session) and answers 401/403 in JSON; its
    # views are exempt from LoginRequiredMiddleware, so API clients are never
    # redirected to the login page. (No docstring: the schema shows a view's
    # docstring as its description.)

    read_roles = ()
    write_roles = ()
    lookup_field = "id"

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to an unknown ?format=: say what exists instead
            formats = ", ".join(renderer.format for renderer in self.get_renderers())
            raise ValidationError({"format": [_('Unknown format "%(format)s". Use one of: %(formats)s.')
                                              % {"format": request.query_params.get("format"),
                                                 "formats": formats}]}) from None

    def change_note(self, note, *, action):
        """The version note: the client's, else where the change came from (and through which key)."""
        if note:
            return note
        prefix = getattr(self.request.auth, "prefix", None)  # request.auth is the ApiKey, or None for a session
        if prefix is not None:
            text = (_("Created through the API (key rk_%(prefix)s…)") if action == CREATED
                    else _("Changed through the API (key rk_%(prefix)s…)"))
            return text % {"prefix": prefix}
        return _("Created through the API") if action == CREATED else _("Changed through the API")
