"""``{% url %}`` with its answers remembered: the same tag, syntax and errors as Django's,
loaded for every template as a builtin (settings.TEMPLATES), so no template changes.

A cabinet page reverses about thirty URL names (the navigation, the menus, each table row's
links), and Django's ``reverse()`` walks the URL patterns every time, raising and catching
NoReverseMatch for the sections whose app is not installed. URL patterns do not change while
the process runs, so each answer — a URL or "no such URL" — is kept in a bounded
least-recently-used table, keyed by everything ``reverse()`` depends on: the name, the
arguments, the current application namespace, the URLconf and the script prefix. The table is
emptied whenever Django's own URL caches are (a changed ROOT_URLCONF in tests).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.template import Context, Library
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()

SIZE = 4096
_MISSING = object()
_PLAIN = (str, int)
_answers: OrderedDict[tuple[Any, ...], str | None] = OrderedDict()


def forget() -> None:
    _answers.clear()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        forget()


setting_changed.connect(_on_setting_changed, dispatch_uid="kabinet_url_memo")


def remembered_reverse(
    view_name: str, args: list[Any], kwargs: dict[str, Any], current_app: str | None
) -> str | None:
    """``reverse()``'s answer, or None for NoReverseMatch. Remembered when the arguments are
    plain strings and numbers (an object's URL text could change with the object)."""
    key: tuple[Any, ...] | None = None
    plain = all(type(v) in _PLAIN for v in args) and all(type(v) in _PLAIN for v in kwargs.values())
    if plain and isinstance(view_name, str):
        key = (
            view_name,
            tuple(args),
            tuple(sorted(kwargs.items())),
            current_app,
            get_urlconf() or settings.ROOT_URLCONF,
            get_script_prefix(),
        )
    if key is not None:
        answer = _answers.get(key, _MISSING)
        if answer is not _MISSING:
            _answers.move_to_end(key)
            return answer  # type: ignore[return-value]
    try:
        found: str | None = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    except NoReverseMatch:
        found = None
    if key is not None:
        _answers[key] = found
        if len(_answers) > SIZE:
            _answers.popitem(last=False)
    return found


class RememberedURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:  # as Django's own tag
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        url = remembered_reverse(view_name, args, kwargs, current_app)
        if url is None:
            if self.asvar is None:
                # The same error, with Django's own message.
                reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> RememberedURLNode:
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
