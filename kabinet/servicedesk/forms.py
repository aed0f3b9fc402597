from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RequestKind, RequestStatus


class OtherRequestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(
        label=_("What do you need?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the client"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("", _("Any status")), *RequestStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *RequestKind.choices]
    )
    client = forms.CharField(label=_("Contract"), required=False, max_length=20)
