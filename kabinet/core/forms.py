from django.forms.renderers import TemplatesSetting


class KabinetFormRenderer(TemplatesSetting):
    """Every form renders its fields with the project's markup (label, widget, hint, errors)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
