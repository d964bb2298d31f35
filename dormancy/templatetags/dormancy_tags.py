"""Template tags that let other apps' pages show dormancy without importing it in Python.

contacts sits below dormancy; its contact page loads this tag library instead.
"""
from django import template

from dormancy.selectors import rule_explanations_for_contact, workspace_today

register = template.Library()


@register.inclusion_tag("dormancy/_contact_matches.html", takes_context=True)
def dormancy_matches(context, contact):
    """Active rules `contact` matches, with the values behind each clause; the others with what failed."""
    explained = rule_explanations_for_contact(contact, today=workspace_today())
    for entry in explained:
        # "items" would resolve to dict.items() in a template where a clause has none.
        entry["clauses"] = [{"ok": clause["ok"], "text": clause["text"], "parts": clause.get("items", [])}
                            for clause in entry["clauses"]]
        entry["failing"] = [clause for clause in entry["clauses"] if not clause["ok"]]
    return {
        "matches": [entry for entry in explained if entry["is_member"]],
        "misses": [entry for entry in explained if not entry["is_member"]],
        "can_open_rules": context.get("is_admin_role") or context.get("is_marketer_role"),
    }
