"""The API's JSON parser: DRF's, plus a 400 for nesting deeper than Python's JSON decoder goes.

`[[[[…` a few thousand levels deep makes `json.loads` raise RecursionError, which DRF's parser does not catch
(it expects ValueError), so such a body was a 500.
"""
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None
