"""The Jinja2 environment marketer templates run in, and the limits that keep a render cheap.

Jinja's ImmutableSandboxedEnvironment stops attribute tricks (no `__class__`,
no mutation of lists and dicts), but not resource bombs: a loop of a billion
empty iterations, a string doubled thirty times, `'x'|center(10**9)`, a macro
that calls itself twice per level. Every one of those needs one of a few
moves — iterate, call, apply a filter, use an operator, concatenate, output —
so each move is routed through a per-render `_Budget` that checks the clock,
the size of what is produced and the work a call is about to do, and stops
the render with `LimitExceeded` (a SecurityError) before memory or time runs
out. Loops and concatenations are routed by rewriting the parsed template
(`_guard_tree`); calls, filters and operators by the sandbox hooks.

Only campaigns.templating should use this module.
"""
import contextvars
import re
import time
from functools import wraps

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext, Macro, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context

MAX_TEMPLATE_CHARS = 100_000
MAX_OUTPUT_CHARS = 500_000      # one rendered field, and any single value built while rendering
MAX_WORK = 5_000_000            # characters a render may build in all, captured blocks included
MAX_RENDER_SECONDS = 2.0
MAX_RANGE = 1000
MAX_MACRO_DEPTH = 50
MAX_INT_BITS = 4096
# Filter names the templates cannot type (a hyphen is not part of a name), used by the tree rewrite.
_ITER, _CONCAT = "rk-iter", "rk-concat"
_NUMBER = re.compile(r"\d+")


class LimitExceeded(SecurityError):
    """A render went past one of the limits; the message says which, in the user's language."""


class _Budget:
    """What one render of one field may still spend."""

    def __init__(self, source_length):
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.work = 0
        # Each loop pass may emit the template's literal text again (into a captured block, where the
        # output-size check at the top level cannot see it), so a pass costs the template's length.
        self.pass_cost = max(source_length, 1)
        self.macro_depth = 0

    def tick(self):
        if time.monotonic() > self.deadline:
            raise LimitExceeded(_("Rendering took longer than %(seconds)s seconds.") % {"seconds": MAX_RENDER_SECONDS})

    def spend(self, amount):
        self.work += amount
        if self.work > MAX_WORK:
            raise LimitExceeded(_("The template does too much work: its loops and text add up to more than %(max)d "
                                  "characters.") % {"max": MAX_WORK})
        self.tick()


_current = contextvars.ContextVar("rekindle_template_budget", default=None)


class budget:  # noqa: N801  (used as a context manager: `with budget(len(source)):`)
    """Open a render budget for the code inside the `with`."""

    def __init__(self, source_length):
        self._budget = _Budget(source_length)
        self._token = None

    def __enter__(self):
        self._token = _current.set(self._budget)
        return self._budget

    def __exit__(self, *exc):
        _current.reset(self._token)
        return False


def _spend(amount=0):
    current = _current.get()
    if current is None:  # rendering outside campaigns.templating: refuse rather than run unbounded
        raise LimitExceeded(_("Templates can only be rendered through Rekindle's renderer."))
    current.spend(amount)
    return current


def weight(value, _seen=None):
    """How many characters `value` would become as text, counting shared parts every time they repeat."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3 + 1
    if isinstance(value, list | tuple | set | frozenset | dict):
        seen = {} if _seen is None else _seen
        key = id(value)
        if key not in seen:
            seen[key] = 0  # a value being measured counts as empty if it contains itself (it cannot, immutably)
            items = value.items() if isinstance(value, dict) else value
            total = len(value)
            for item in items:
                total += weight(item, seen)
                if total > MAX_WORK:
                    break
            seen[key] = total
        return seen[key]
    return 1


def _check_size(value):
    if isinstance(value, bytes | bytearray | memoryview):
        # Nothing in a mail needs bytes, and the size checks below reason about text.
        raise LimitExceeded(_("Binary values (such as the result of encode()) are not available in templates."))
    size = weight(value)
    if size > MAX_OUTPUT_CHARS:
        raise LimitExceeded(_("A value in the template would be longer than %(max)d characters.")
                            % {"max": MAX_OUTPUT_CHARS})
    return size


def _check_arguments(values):
    """Refuse a call whose arguments promise too much work: `'x'|center(10**9)`, a huge text × a huge width."""
    product = 1
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(_("Numbers in templates are limited in size."))
        size = abs(value) if isinstance(value, int | float) else weight(value)
        product *= max(size, 1)
        if product > MAX_WORK:
            raise LimitExceeded(_("This call would work on more than %(max)d characters.") % {"max": MAX_WORK})


def _check_format_string(text):
    """A width or precision inside a format string ('%999999999d', '{:>999999999}') allocates that much."""
    if isinstance(text, str) and any(int(number) > MAX_OUTPUT_CHARS for number in _NUMBER.findall(text)):
        raise LimitExceeded(_("Widths in format strings are limited to %(max)d.") % {"max": MAX_OUTPUT_CHARS})


def _guarded_iter(value):
    """Each loop pass checks the clock and pays for the literal text it may emit."""
    current = _spend()
    for item in value:
        current.spend(current.pass_cost)
        yield item


@pass_eval_context
def _guarded_concat(eval_ctx, values):
    """`a ~ b`: measured before the join, so a list built to be huge is never turned into text."""
    _spend(sum(_check_size(value) for value in values))
    joined = markup_join(values) if eval_ctx.autoescape else str_join(values)
    _check_size(joined)
    return joined


def _guard_filter(function, name):
    """Wrap a built-in filter: argument and result checks, and the clock."""

    @wraps(function)
    def guarded(*args, **kwargs):
        _spend()
        values = args[1:] if getattr(function, "jinja_pass_arg", None) is not None else args
        if name == "format" and values:
            _check_format_string(values[0])
        _check_arguments([*values, *kwargs.values()])
        result = function(*args, **kwargs)
        _spend(_check_size(result))
        return result

    return guarded


def _finalize(value):
    """Every `{{ … }}` passes here before it becomes text: measured first, so no huge repr is ever built."""
    _spend(_check_size(value))
    return value


def _safe_range(*args):
    bounds = range(*args)
    if len(bounds) > MAX_RANGE:
        raise LimitExceeded(_("range() is limited to %(max)d items.") % {"max": MAX_RANGE})
    return bounds


class Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, strict about unknown names, with the budget on every costly move."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options):
        super().__init__(undefined=StrictUndefined, finalize=_finalize, **options)
        # Only range(): no cycler, joiner, namespace, lipsum or dict (cycler.__init__.__globals__ and friends).
        self.globals = {"range": _safe_range}
        self.filters = {name: _guard_filter(function, name) for name, function in self.filters.items()}
        self.filters[_ITER] = _guarded_iter
        self.filters[_CONCAT] = _guarded_concat

    def add_filter(self, name, function):
        """Register one of Rekindle's own filters, guarded like the built-in ones."""
        self.filters[name] = _guard_filter(function, name)

    def _parse(self, source, name, filename):
        return _guard_tree(super()._parse(source, name, filename))

    def call_binop(self, context, operator, left, right):
        _spend()
        if any(isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_INT_BITS
               for v in (left, right)):
            raise LimitExceeded(_("Numbers in templates are limited in size."))
        if operator == "**":
            if not all(isinstance(v, int | float) and abs(v) <= 10_000 for v in (left, right)) or abs(right) > 64:
                raise LimitExceeded(_("Powers are limited to small numbers in templates."))
        elif operator == "*" and any(isinstance(v, str | list | tuple) for v in (left, right)):
            sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(count, int) and count * max(weight(sequence), 1) > MAX_OUTPUT_CHARS:
                raise LimitExceeded(_("Repeating text is limited to %(max)d characters.") % {"max": MAX_OUTPUT_CHARS})
        elif operator == "%" and isinstance(left, str):
            _check_format_string(left)
            _check_arguments([left, *(right if isinstance(right, tuple) else (right,))])
        result = super().call_binop(context, operator, left, right)
        _spend(_check_size(result))
        return result

    def call(self, context, obj, /, *args, **kwargs):
        """Every call in a template: macros count their depth, everything else is measured."""
        current = _spend()
        if isinstance(obj, Macro):
            return self._call_macro(current, context, obj, *args, **kwargs)
        if isinstance(obj, LoopContext) and args:  # `loop(children)` in a recursive loop iterates anew
            args = (_guarded_iter(args[0]), *args[1:])
        elif obj is not _safe_range:  # range() has its own limit, with its own message
            target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format in a safe formatter
            receiver = getattr(target, "__self__", None)
            if getattr(target, "__name__", "") in ("format", "format_map"):
                _check_format_string(receiver)
            _check_arguments([receiver, *args, *kwargs.values()] if isinstance(receiver, str | list | tuple | dict)
                             else [*args, *kwargs.values()])
        result = super().call(context, obj, *args, **kwargs)
        _spend(_check_size(result))
        return result

    def _call_macro(self, current, context, macro, /, *args, **kwargs):
        current.macro_depth += 1
        try:
            if current.macro_depth > MAX_MACRO_DEPTH:
                raise LimitExceeded(_("Macros may call each other at most %(max)d levels deep.")
                                    % {"max": MAX_MACRO_DEPTH})
            result = super().call(context, macro, *args, **kwargs)
        finally:
            current.macro_depth -= 1
        _spend(_check_size(result))
        return result


def _guard_tree(tree):
    """Route every loop's iterable and every `~` through the budget (see the module docstring)."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _ITER, [], [], None, None, lineno=loop.iter.lineno)
    for parent in tree.find_all(nodes.Node):
        for field in parent.fields:
            value = getattr(parent, field, None)
            if isinstance(value, nodes.Concat):
                setattr(parent, field, _concat_filter(value))
            elif isinstance(value, list):
                setattr(parent, field, [_concat_filter(item) if isinstance(item, nodes.Concat) else item
                                        for item in value])
    return tree


def _concat_filter(node):
    return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT, [], [], None, None, lineno=node.lineno)
