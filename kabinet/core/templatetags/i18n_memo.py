"""Django's ``i18n`` template library with ``{% translate "…" %}`` of a constant text kept
once translated: the same tags, syntax and output. Every template loads it as ``i18n``
(settings.TEMPLATES ``libraries``), so no template changes.

A cabinet list renders the same few dozen texts for every row (the table's ``data-label``
headings for phones, badges, buttons), each through a lazy translation object, the
current language's catalogue and the escaping of the result. For a constant text with no
filters and no message context the answer depends only on the text, the language being
rendered and whether the output is escaped, so it is kept per process in a table that can
only hold what the templates contain. Anything else goes through Django's own node.
"""

from __future__ import annotations

from typing import Any

from django.template import Context, Library
from django.template.base import Parser, Token, Variable
from django.templatetags.i18n import TranslateNode
from django.templatetags.i18n import do_translate as django_translate
from django.templatetags.i18n import register as django_i18n
from django.utils import translation

register = Library()
register.tags.update(django_i18n.tags)
register.filters.update(django_i18n.filters)

_answers: dict[tuple[Any, ...], str] = {}


def forget() -> None:
    _answers.clear()


class KeptTranslateNode(TranslateNode):
    def __init__(self, node: TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        var = self.filter_expression.var
        self.constant = (
            isinstance(var, Variable)
            and var.literal is not None
            and not self.filter_expression.filters
            and self.message_context is None
        )

    def render(self, context: Context) -> str:
        if not self.constant:
            return super().render(context)
        key = (
            self.filter_expression.var.literal,
            self.noop,
            translation.get_language(),
            context.autoescape,
            context.use_l10n,
        )
        value = _answers.get(key)
        if value is None:
            if self.asvar:
                super().render(context)
                value = context[self.asvar]
            else:
                value = super().render(context)
            _answers[key] = value
            return "" if self.asvar else value
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> KeptTranslateNode:
    return KeptTranslateNode(django_translate(parser, token))
