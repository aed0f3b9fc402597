import datetime
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from kabinet.lib.uploads import ACCEPT, ALLOWED_LABEL, CheckedFile, check_uploads

DJANGO_WIDGETS = "django/forms/widgets/"


def _django_widgets_only(value: Any) -> bool:
    """Whether a widget's context names only Django's own widget templates (a select's
    options, a multi-widget's parts), which exist in Jinja2 form too."""
    if isinstance(value, dict):
        name = value.get("template_name")
        if isinstance(name, str) and not name.startswith(DJANGO_WIDGETS):
            return False
        return all(
            _django_widgets_only(value[key]) for key in ("optgroups", "subwidgets") if key in value
        )
    if isinstance(value, list | tuple):
        return all(_django_widgets_only(item) for item in value)
    return True


class KabinetFormRenderer(TemplatesSetting):
    """Every form renders its fields with the project's markup (label, widget, hint, errors).

    Django's own widgets (inputs, selects and their options) are rendered from Django's
    Jinja2 copies of their templates, which give the same markup several times faster than
    the template language (a select of fifty managers is fifty template renders); a widget
    with a template of its own (Wagtail's, ours) renders as before.
    """

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

    @cached_property
    def widget_engine(self) -> Any:
        from django.template.backends.jinja2 import Jinja2

        return Jinja2(
            {
                "APP_DIRS": False,
                "DIRS": [Path(forms.__file__).parent / "jinja2"],
                "NAME": "kabinet-widgets",
                "OPTIONS": {},
            }
        )

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name.startswith(DJANGO_WIDGETS) and _django_widgets_only(context.get("widget")):
            template = self.widget_engine.get_template(template_name)
            return str(template.render(context, request=request)).strip()
        return str(super().render(template_name, context, request=request))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input, each checked by its content (kabinet.lib.uploads).

    Cleans to a list of ``CheckedFile``.
    """

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attach files"))
        kwargs.setdefault(
            "help_text",
            _("Up to %(n)s files, %(size)s each: %(types)s.")
            % {
                "n": settings.KABINET_ATTACHMENT_MAX_FILES,
                "size": filesizeformat(settings.KABINET_ATTACHMENT_MAX_BYTES),
                "types": ALLOWED_LABEL,
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPT

    def clean(self, data: Any, initial: Any = None) -> list[CheckedFile]:
        files = list(data) if isinstance(data, list | tuple) else ([data] if data else [])
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        single = super().clean
        return check_uploads([single(f, initial) for f in files])


def add_service_errors(form: Any, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class FilterDateField(forms.DateField):
    """A date in a list's filter: within years a business record can have, or a clear error.

    ``9999-12-31`` is a valid date, but a day after it is not, and a range ending there
    would overflow where the filter adds a day.
    """

    EARLIEST = datetime.date(2000, 1, 1)
    LATEST = datetime.date(2100, 12, 31)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> datetime.date | None:
        day = super().clean(value)
        if day is not None and not (self.EARLIEST <= day <= self.LATEST):
            raise ValidationError(_("Enter a date between 2000 and 2100."), code="date_range")
        return day
