from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Billing package (.zip)"),
        help_text=_("A billing-to-site package downloaded from the billing server."),
    )
