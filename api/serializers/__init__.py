"""Request and response shapes of the API.

Serializers check the shape of a request (known keys, required keys); what a
rule or a rule tree may contain is decided by the domain validators that the
services call, so the HTML editors and the API share one allow-list.
"""
