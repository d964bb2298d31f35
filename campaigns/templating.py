"""Marketer templates → subject, text and HTML, rendered in Jinja2's immutable sandbox from plain dicts.

The one way a template becomes a message. Nothing but plain data (dicts,
lists, strings, numbers) enters the context (campaigns.merge builds it), so
a template cannot reach a model, a manager or the settings; the sandbox
blocks attribute tricks on what is there, and campaigns.sandbox bounds the
time and memory a render may take. HTML bodies are autoescaped; subjects and
text bodies are not (they are not HTML).

`render_message(fields, context)` renders; `template_problems(fields,
sample_context)` checks a template before it is saved: syntax errors,
unknown merge fields (found in the source, so a field inside an `{% if %}`
the sample never enters is caught too) and anything the render against the
sample refuses, each with its field and line.
"""
import difflib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _
from jinja2 import TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError

from .sandbox import MAX_OUTPUT_CHARS, MAX_RENDER_SECONDS, MAX_TEMPLATE_CHARS, LimitExceeded, Sandbox, budget

__all__ = ["FIELDS", "MAX_OUTPUT_CHARS", "MAX_RENDER_SECONDS", "MAX_TEMPLATE_CHARS", "RenderedMessage",
           "TemplateError", "referenced_names", "render_message", "template_problems"]

FIELDS = ("subject", "body_text", "body_html")
# Names Jinja itself provides inside loops, macros and call blocks.
_JINJA_NAMES = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super"})
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


class TemplateError(Exception):
    """A template that cannot be rendered; `problems` are [(field, line, message)]."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(_format(problem) for problem in problems))


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def _parse_iso_date(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def ja_date(value):
    """'2026-07-31' → '2026年7月31日' (anything else unchanged, so an empty date stays empty)."""
    day = _parse_iso_date(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else value


def en_date(value):
    """'2026-07-31' → 'July 31, 2026' (anything else unchanged)."""
    day = _parse_iso_date(value)
    return f"{_EN_MONTHS[day.month - 1]} {day.day}, {day.year}" if day else value


def _environment(*, autoescape):
    # trim_blocks/lstrip_blocks: a tag on a line of its own leaves no blank line behind (plain-text mail).
    env = Sandbox(autoescape=autoescape, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.add_filter("ja_date", ja_date)
    env.add_filter("en_date", en_date)
    return env


_TEXT_ENV = _environment(autoescape=False)
_HTML_ENV = _environment(autoescape=True)


def _env(field):
    return _HTML_ENV if field == "body_html" else _TEXT_ENV


@lru_cache(maxsize=512)
def _compiled(is_html, source):
    """Compiling costs ten times a render; a campaign renders one template for every recipient."""
    return (_HTML_ENV if is_html else _TEXT_ENV).from_string(source)


def render_message(fields, context):
    """Render {"subject", "body_text", "body_html"} with `context` (plain data); raises TemplateError."""
    rendered = {}
    for field in FIELDS:
        source = fields.get(field) or ""
        rendered[field] = _render_field(field, source, context) if source else ""
    subject = " ".join(rendered["subject"].split())  # one line, whatever the template did
    return RenderedMessage(subject=subject, text=rendered["body_text"], html=rendered["body_html"])


def _render_field(field, source, context):
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateError([(field, None, _("The template is longer than %(max)d characters.")
                              % {"max": MAX_TEMPLATE_CHARS})])
    try:
        with budget(len(source)) as current:
            template = _compiled(field == "body_html", source)
            size, parts = 0, []
            for chunk in template.generate(context):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise TemplateError([(field, None, _("The rendered text would be longer than %(max)d characters.")
                                          % {"max": MAX_OUTPUT_CHARS})])
                current.tick()
                parts.append(chunk)
        return "".join(parts)
    except TemplateSyntaxError as error:
        raise TemplateError([(field, error.lineno, _syntax_message(error))]) from None
    except UndefinedError as error:
        raise TemplateError([(field, _error_line(error), _("Unknown merge field: %(why)s.")
                              % {"why": error.message or str(error)})]) from None
    except LimitExceeded as error:
        raise TemplateError([(field, _error_line(error), str(error))]) from None
    except SecurityError as error:
        raise TemplateError([(field, _error_line(error), _("Not allowed in a template: %(why)s") % {"why": error})]) \
            from None
    except RecursionError:
        raise TemplateError([(field, None, _("Macros call each other too deeply."))]) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, MemoryError) as error:
        raise TemplateError([(field, _error_line(error), _("The template failed: %(why)s") % {"why": error})]) \
            from None


def template_problems(fields, sample_context):
    """[(field, line, message)] for a template about to be saved: syntax, unknown fields, sandbox, limits.

    Reads each field's source for merge fields the sample context does not
    have, then renders it against `sample_context` (every merge field filled
    with a sample value), so a blocked attribute or a limit is caught now
    rather than at send time.
    """
    problems = []
    for field in FIELDS:
        source = fields.get(field) or ""
        if not source:
            continue
        found = _source_problems(field, source, sample_context)
        try:
            _render_field(field, source, sample_context)
        except TemplateError as error:
            lines = {line for _field, line, _message in found}
            found.extend(problem for problem in error.problems if not found or problem[1] not in lines)
        problems.extend(sorted(found, key=lambda problem: problem[1] or 0))
    return problems


def _source_problems(field, source, sample_context):
    """Unknown merge fields and forbidden tags, read from the parsed source (each once, with its line)."""
    if len(source) > MAX_TEMPLATE_CHARS:
        return []  # the render reports the size
    try:
        tree = _env(field).parse(source)
    except TemplateSyntaxError:
        return []  # the render reports it with its line
    problems = [(field, node.lineno, _("Templates cannot include, import or extend other templates."))
                for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))]
    local = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    local |= {node.name for node in tree.find_all(nodes.Macro)}
    known = set(sample_context) | set(_env(field).globals) | _JINJA_NAMES
    seen = set()
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        path = _access_path(node)
        if not path or path[0] in local:
            continue
        unknown = _first_unknown(path, sample_context, known)
        if unknown and (unknown, node.lineno) not in seen:
            seen.add((unknown, node.lineno))
            problems.append((field, node.lineno, _unknown_field_message(unknown, sample_context)))
    return problems


def _access_path(node):
    """['contact', 'first_name'] for `contact.first_name` or `contact['first_name']`; None if not a plain path."""
    parts = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str | int):
            parts.append(node.arg.value)
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name) or node.ctx != "load":
        return None
    return [node.name, *reversed(parts)]


def _first_unknown(path, context, known):
    """The dotted prefix of `path` up to the first part the context lacks, or None when it all exists."""
    if path[0] not in known:
        return path[0]
    value = context.get(path[0])
    for depth, part in enumerate(path[1:], start=1):
        if isinstance(value, dict):
            if part not in value:
                return ".".join(str(p) for p in path[: depth + 1])
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and -len(value) <= part < len(value):
            value = value[part]
        else:
            return None  # a string method, a list index or a loop variable: the render decides
    return None


def _unknown_field_message(name, sample_context):
    candidates = list(sample_context)
    head, _dot, _rest = name.rpartition(".")
    if head:
        parent = sample_context
        for part in head.split("."):
            parent = parent.get(part, {}) if isinstance(parent, dict) else {}
        candidates = [f"{head}.{key}" for key in parent] if isinstance(parent, dict) else []
    close = difflib.get_close_matches(name, candidates, n=1)
    if close:
        return _("Unknown merge field “%(name)s”. Did you mean “%(close)s”?") % {"name": name, "close": close[0]}
    return _("Unknown merge field “%(name)s”. The list beside the editor shows the fields you can use.") \
        % {"name": name}


def referenced_names(source):
    """Top-level names a template reads (for showing which merge fields it uses)."""
    try:
        tree = _TEXT_ENV.parse(source)
    except TemplateSyntaxError:
        return set()
    return {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}


_UNCLOSED = re.compile(r"innermost block that needs to be closed is '(\w+)'")
_UNKNOWN_TAG = re.compile(r"^Encountered unknown tag '(\w+)'")


def _syntax_message(error):
    """Jinja's message, or a plainer one for the mistakes marketers make most."""
    message = error.message or str(error)
    if unclosed := _UNCLOSED.search(message):
        tag = unclosed.group(1)
        return _("Template syntax error: a “{%% %(tag)s %%}” is never closed; add “{%% end%(tag)s %%}”.") % {"tag": tag}
    if unknown := _UNKNOWN_TAG.search(message):
        return _("Template syntax error: there is no tag “%(tag)s”. Tags are if, elif, else, endif, for, endfor, "
                 "set, macro.") % {"tag": unknown.group(1)}
    if message in ("unexpected '}'", "unexpected end of template, expected 'end of print statement'."):
        return _("Template syntax error: a merge field is written with two braces on each side, like "
                 "{{ contact.last_name }}.")
    return _("Template syntax error: %(why)s") % {"why": message}


def _error_line(error):
    """The template line of an error raised while rendering, from the innermost template frame."""
    tb, line = error.__traceback__, None
    while tb is not None:
        # Jinja rewrites the traceback so template frames carry the template's own line numbers.
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _format(problem):
    field, line, message = problem
    return f"{field} line {line}: {message}" if line else f"{field}: {message}"
