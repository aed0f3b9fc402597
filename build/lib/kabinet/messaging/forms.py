from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client, ClientStatus
from kabinet.catalog.models import Service, Tariff
from kabinet.core.forms import AttachmentsField

from .models import Segment


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The other side gets a notification and answers here."),
    )
    attachments = AttachmentsField()


class ThreadForm(MessageForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("A few words, for example “Documents for October”."),
    )
    field_order = ["subject", "body", "attachments"]


class ManagerThreadForm(ThreadForm):
    contract = forms.CharField(
        label=_("Client's contract number"),
        max_length=20,
        help_text=_("Every active user of that client will see the conversation."),
    )
    field_order = ["contract", "subject", "body", "attachments"]

    def clean_contract(self) -> Client:
        number = self.cleaned_data["contract"].strip()
        client = Client.objects.filter(contract_number=number).first()
        if client is None:
            raise forms.ValidationError(_("There is no client with this contract number."))
        return client


class ThreadFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All conversations")),
            ("unanswered", _("Unanswered")),
            ("unread", _("Unread by me")),
        ],
    )
    client = forms.CharField(label=_("Contract"), required=False, max_length=20)
    mine = forms.BooleanField(label=_("My clients only"), required=False)


class NoticeForm(forms.Form):
    segment = forms.ChoiceField(
        label=_("To whom"),
        choices=Segment.choices,
        widget=forms.RadioSelect,
        initial="all",
        help_text=_("For a service, tariff or status, choose it below too."),
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), required=False, empty_label="—"
    )
    tariff = forms.ModelChoiceField(
        label=_("Tariff"),
        queryset=Tariff.objects.alive().select_related("service"),
        required=False,
        empty_label="—",
    )
    client_status = forms.ChoiceField(
        label=_("Client status"),
        required=False,
        choices=[("", "—"), *ClientStatus.choices],
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("Shown in the notification list and as the e-mail's subject."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A notice cannot be recalled: check it before sending."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].label_from_instance = lambda s: s.display_name  # type: ignore[attr-defined]
        self.fields["tariff"].label_from_instance = (  # type: ignore[attr-defined]
            lambda t: f"{t.service.display_name} · {t.display_name} ({t.get_visibility_display()})"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        segment = data.get("segment")
        if segment == Segment.SERVICE and not data.get("service"):
            self.add_error("service", _("Choose the service."))
        if segment == Segment.TARIFF and not data.get("tariff"):
            self.add_error("tariff", _("Choose the tariff."))
        if segment == Segment.STATUS and not data.get("client_status"):
            self.add_error("client_status", _("Choose the status."))
        return data
