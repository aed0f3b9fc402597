"""Long lists' rows rendered by Jinja2 (Django's own backend), not the template language.

Fifty rows of seven cells are several hundred variable nodes for the template language, a
third of a list page's time; Jinja2 compiles a template to Python code and renders the same
rows in a fraction of it. The rows' templates live in each app's ``jinja2/`` directory and
hold markup only: the view formats the values and translates the labels (so makemessages
finds them), and the page's own template places the rendered rows with ``{{ rows_html }}``.
Autoescaping is on, as in every template.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils.safestring import SafeString, mark_safe


@functools.cache
def _engine() -> Any:
    from django.template.backends.jinja2 import Jinja2
    from jinja2 import StrictUndefined

    return Jinja2(
        {
            "APP_DIRS": True,
            "DIRS": [],
            "NAME": "kabinet-rows",
            # A misspelt name fails loudly instead of rendering an empty cell.
            "OPTIONS": {"undefined": StrictUndefined},
        }
    )


def render_rows(template_name: str, context: dict[str, Any]) -> SafeString:
    """The rows' HTML, autoescaped, safe to place in a page."""
    return mark_safe(_engine().get_template(template_name).render(context))


def choice_labels(choices: Any) -> dict[str, str]:
    """A choices class's labels in the active language, for a page's rows: looked up once
    per page (Django's ``get_FOO_display`` normalises the choices on every call)."""
    return {value: str(label) for value, label in choices.choices}
