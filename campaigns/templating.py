"""Marketer templates → subject, text and HTML, rendered in Jinja2's immutable sandbox from plain dicts.

The one way a template becomes a message. Nothing but plain data (dicts,
lists, strings, numbers, dates) enters the context, so a template cannot
reach a model, a manager or the settings; the sandbox blocks attribute
tricks on what is there. HTML bodies are autoescaped; subjects and text
bodies are not (they are not HTML).

`render_message(fields, context)` renders; `template_problems(fields)` checks
a template before it is saved (syntax errors and unknown merge fields, each
with its line). Limits: MAX_TEMPLATE_CHARS per field, MAX_OUTPUT_CHARS per
rendered field, MAX_RENDER_SECONDS per field.
"""
import time
from dataclasses import dataclass

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARS = 100_000
MAX_OUTPUT_CHARS = 500_000
MAX_RENDER_SECONDS = 2.0
MAX_RANGE = 1000
FIELDS = ("subject", "body_text", "body_html")


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


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with a bounded range(), `*` and `**` (cheap ways to build huge values)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options):
        super().__init__(undefined=StrictUndefined, **options)
        self.globals = {"range": self._range}

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            if not all(isinstance(v, int | float) and abs(v) <= 10_000 for v in (left, right)) or abs(right) > 64:
                raise SecurityError(_("Powers are limited to small numbers in templates."))
        elif any(isinstance(v, str | list | tuple) for v in (left, right)):
            count = right if isinstance(left, str | list | tuple) else left
            if isinstance(count, int) and count * max(len(left) if not isinstance(left, int) else len(right), 1) \
                    > MAX_OUTPUT_CHARS:
                raise SecurityError(_("Repeating text is limited to %(max)d characters.") % {"max": MAX_OUTPUT_CHARS})
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def _range(*args):
        bounds = range(*args)
        if len(bounds) > MAX_RANGE:
            raise SecurityError(_("range() is limited to %(max)d items.") % {"max": MAX_RANGE})
        return bounds


_TEXT_ENV = _Sandbox(autoescape=False, keep_trailing_newline=True)
_HTML_ENV = _Sandbox(autoescape=True, keep_trailing_newline=True)


def _env(field):
    return _HTML_ENV if field == "body_html" else _TEXT_ENV


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
        template = _env(field).from_string(source)
        started, size, parts = time.monotonic(), 0, []
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateError([(field, None, _("The rendered text would be longer than %(max)d characters.")
                                      % {"max": MAX_OUTPUT_CHARS})])
            if time.monotonic() - started > MAX_RENDER_SECONDS:
                raise TemplateError([(field, None, _("Rendering took longer than %(seconds)s seconds.")
                                      % {"seconds": MAX_RENDER_SECONDS})])
            parts.append(chunk)
        return "".join(parts)
    except TemplateSyntaxError as error:
        raise TemplateError([(field, error.lineno, error.message or str(error))]) from None
    except UndefinedError as error:
        raise TemplateError([(field, _error_line(error), _unknown_message(error))]) from None
    except SecurityError as error:
        raise TemplateError([(field, _error_line(error), _("Not allowed in a template: %(why)s") % {"why": error})]) \
            from None
    except (TypeError, ValueError, ArithmeticError, OverflowError, RecursionError) as error:
        raise TemplateError([(field, _error_line(error), _("The template failed: %(why)s") % {"why": error})]) \
            from None


def template_problems(fields, sample_context):
    """[(field, line, message)] for a template about to be saved: syntax, unknown fields, sandbox, limits.

    Renders each field against `sample_context` (every merge field filled
    with a sample value), so an unknown field or a blocked attribute is
    caught now rather than at send time.
    """
    problems = []
    for field in FIELDS:
        source = fields.get(field) or ""
        if not source:
            continue
        try:
            _render_field(field, source, sample_context)
        except TemplateError as error:
            problems.extend(error.problems)
    return problems


def referenced_names(source):
    """Top-level names a template reads (for showing which merge fields it uses)."""
    try:
        tree = _TEXT_ENV.parse(source)
    except TemplateSyntaxError:
        return set()
    return {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}


def _error_line(error):
    """The template line of an error raised while rendering, from the innermost template frame."""
    tb, line = error.__traceback__, None
    while tb is not None:
        # Jinja rewrites the traceback so template frames carry the template's own line numbers.
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _unknown_message(error):
    return _("Unknown merge field: %(why)s.") % {"why": error.message or str(error)}


def _format(problem):
    field, line, message = problem
    return f"{field} line {line}: {message}" if line else f"{field}: {message}"
