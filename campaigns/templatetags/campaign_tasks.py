"""Call tasks from sequences and playbooks on the reps' call list (scoring's page).

scoring must not import campaigns, so its template loads this library
instead of its view passing the tasks.
"""
from django import template

from campaigns.flows.selectors import open_call_tasks

register = template.Library()


@register.inclusion_tag("campaigns/flows/_call_tasks.html", takes_context=True)
def call_tasks(context):
    request = context["request"]
    return {"tasks": open_call_tasks(request.user), "csrf_token": context.get("csrf_token"), "request": request}
