"""The template sandbox: known escapes and resource bombs end in a clear problem with its line, and leak nothing."""
import time

import pytest
from django.conf import settings

from campaigns.merge import SAMPLE_CONTEXT
from campaigns.templating import TemplateError, en_date, ja_date, render_message, template_problems

# (template, words the problem message must contain). Each sits on line 2 of the body.
ESCAPES = {
    "mro": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__"),
    "cycler_globals": ("{{ cycler.__init__.__globals__.os.environ }}", "cycler"),
    "joiner_globals": ("{{ joiner.__init__.__globals__ }}", "joiner"),
    "attr_format": ("{{ '{0.__class__.__init__.__globals__}'|attr('format')(contact) }}", "Not allowed"),
    "format_method": ("{{ '{0.__class__}'.format(contact) }}", "__class__"),
    "format_map": ("{{ '{x.__class__}'.format_map({'x': contact}) }}", "__class__"),
    "template_reference": ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    "settings_name": ("{{ settings.SECRET_KEY }}", "settings"),
    "config_name": ("{{ config }}", "config"),
    "request_name": ("{{ request.META }}", "request"),
    "huge_range": ("{{ range(10**9)|list|length }}", "range()"),
    "huge_repeat": ("{{ 'x' * 10**9 }}", "Repeating text"),
    "tower_power": ("{{ 10**10**10 }}", "Powers"),
    "huge_center": ("{{ 'x'|center(999999999) }}", "more than"),
    "format_width": ("{{ '%999999999d' % 1 }}", "Widths"),
    "format_width_method": ("{{ '{:>999999999}'.format(1) }}", "Widths"),
    "doubling": ("{% set a = 'x' * 400000 %}{% set b = a ~ a %}{{ b|length }}", "longer than"),
    "nested_loops": ("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                     "{% endfor %}{% endfor %}{% endfor %}", "too much work"),
    "captured_loop": ("{% set a %}{% for i in range(1000) %}{{ 'x' * 400000 }}{% endfor %}{% endset %}{{ a|length }}",
                      "too much work"),
    "deep_macro": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "levels deep"),
    "big_int": ("{% set a = 10000**64 %}{% set b = a*a %}{% set c = b*b %}{% set d = c*c %}{{ d*d }}", "Numbers"),
    "include": ("{% include 'base.html' %}", "include"),
}


def _problems(source):
    fields = {"subject": "Hello", "body_text": "first line\n" + source, "body_html": ""}
    return template_problems(fields, SAMPLE_CONTEXT)


@pytest.mark.parametrize("name", list(ESCAPES))
def test_escape_is_reported_on_its_line_and_leaks_nothing(name):
    source, words = ESCAPES[name]
    problems = _problems(source)
    assert problems, name
    field, line, message = problems[0]
    assert (field, line) == ("body_text", 2)
    assert words in message
    assert settings.SECRET_KEY not in repr(problems)


@pytest.mark.parametrize("name", list(ESCAPES))
def test_escape_never_renders(name):
    source, _words = ESCAPES[name]
    with pytest.raises(TemplateError) as caught:
        render_message({"subject": "Hi", "body_text": source, "body_html": source}, SAMPLE_CONTEXT)
    assert caught.value.problems
    assert settings.SECRET_KEY not in str(caught.value)


def test_branching_macro_recursion_stops_on_the_clock():
    source = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    started = time.monotonic()
    problems = _problems(source)
    assert time.monotonic() - started < 5
    assert problems[0][:2] == ("body_text", 2)
    assert "seconds" in problems[0][2]


def test_unknown_field_is_reported_with_its_line_and_a_suggestion():
    fields = {"subject": "{{ contact.company }}", "body_html": "",
              "body_text": "Hello\n{{ contact.last_name }}\n{{ contact.fist_name }}\n"
                           "{% if contract.loses %}{{ contract.lose }}{% endif %}\n{{ nickname }}"}
    assert template_problems(fields, SAMPLE_CONTEXT) == [
        ("body_text", 3, "Unknown merge field “contact.fist_name”. Did you mean “contact.first_name”?"),
        ("body_text", 4, "Unknown merge field “contract.lose”. Did you mean “contract.loses”?"),
        ("body_text", 5, "Unknown merge field “nickname”. The list beside the editor shows the fields you can use."),
    ]


def test_loop_variables_and_set_names_are_not_unknown():
    fields = {"subject": "x", "body_html": "",
              "body_text": "{% set greeting = 'Hi' %}{{ greeting }}\n"
                           "{% for option in rescue.options %}{{ loop.index }} {{ option.label }}{% endfor %}\n"
                           "{% macro box(text) %}[{{ text }}]{% endmacro %}{{ box(contact.company) }}"}
    assert template_problems(fields, SAMPLE_CONTEXT) == []


def test_syntax_error_has_its_line():
    problems = template_problems({"subject": "ok", "body_text": "a\nb\n{% if contact.title %}\nno end"},
                                 SAMPLE_CONTEXT)
    assert [(field, line) for field, line, _message in problems] == [("body_text", 4)]
    assert problems[0][2].startswith("Template syntax error")


def test_subject_problems_are_reported_for_the_subject():
    problems = template_problems({"subject": "{{ contact.compnay }}", "body_text": "ok"}, SAMPLE_CONTEXT)
    assert problems == [("subject", 1, "Unknown merge field “contact.compnay”. Did you mean “contact.company”?")]


def test_html_is_autoescaped_but_text_and_subject_are_not():
    context = {**SAMPLE_CONTEXT, "contact": {**SAMPLE_CONTEXT["contact"], "company": "<b>A&B</b> \"Co\""}}
    message = render_message({"subject": "To {{ contact.company }}", "body_text": "{{ contact.company }}",
                              "body_html": "<p>{{ contact.company }}</p>"}, context)
    assert message.subject == 'To <b>A&B</b> "Co"'
    assert message.text == '<b>A&B</b> "Co"'
    assert message.html == "<p>&lt;b&gt;A&amp;B&lt;/b&gt; &#34;Co&#34;</p>"


def test_subject_is_one_line():
    message = render_message({"subject": "A\n{{ contact.last_name }}\n  B", "body_text": "x"}, SAMPLE_CONTEXT)
    assert message.subject == "A 山田 B"


def test_tag_lines_leave_no_blank_lines():
    source = "A\n{% if contact.title %}\nB\n{% endif %}\nC\n"
    assert render_message({"subject": "s", "body_text": source}, SAMPLE_CONTEXT).text == "A\nB\nC\n"


def test_date_filters():
    assert ja_date("2026-07-31") == "2026年7月31日"
    assert en_date("2026-07-31") == "July 31, 2026"
    assert ja_date("") == "" and en_date("soon") == "soon"
    message = render_message({"subject": "{{ contract.lapse_date|ja_date }}", "body_text": "{{ x|en_date }}"},
                             {**SAMPLE_CONTEXT, "x": "2026-01-02"})
    assert (message.subject, message.text) == ("2026年7月31日", "January 2, 2026")


def test_ordinary_string_methods_and_filters_still_work():
    source = ("{{ contact.email.split('@')[1] }} {{ contact.company|replace('株式会社', '') }} "
              "{{ '%s様' % contact.last_name }} {{ rescue.options|map(attribute='label')|join(' / ')|truncate(20) }}")
    text = render_message({"subject": "s", "body_text": source}, SAMPLE_CONTEXT).text
    assert text == "sample-shoji.co.jp サンプル商事 山田様 同じプランで1年間更新する /..."


@pytest.mark.parametrize(("source", "message"), [
    ("a\n{% if contract.loses %}\nb", "Template syntax error: a “{% if %}” is never closed; add “{% endif %}”."),
    ("a\n{% fi x %}", "Template syntax error: there is no tag “fi”. Tags are if, elif, else, endif, for, endfor, "
                      "set, macro."),
    ("a\n{{ contact.last_name }", "Template syntax error: a merge field is written with two braces on each side, "
                                  "like {{ contact.last_name }}."),
])
def test_common_syntax_mistakes_get_plain_messages(source, message):
    problems = template_problems({"subject": "s", "body_text": source}, SAMPLE_CONTEXT)
    assert [(field, text) for field, _line, text in problems] == [("body_text", message)]


def test_bytes_cannot_be_made_to_dodge_the_text_limits():
    problems = _problems("{{ ('x' * 400000).encode() * 1000 }}")
    assert problems[0][:2] == ("body_text", 2) and "Binary values" in problems[0][2]
