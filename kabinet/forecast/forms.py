from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client, User

from .models import AlertPolicy, ThresholdKind


def _person(user: User) -> str:
    return f"{user.get_full_name() or user.email} ({user.email})"


class AlertPolicyForm(forms.Form):
    enabled = forms.BooleanField(label=_("Warn us when the balance runs low"), required=False)
    kind = forms.ChoiceField(
        label=_("Threshold"), choices=ThresholdKind.choices, widget=forms.RadioSelect
    )
    days = forms.IntegerField(
        label=_("Days left"),
        min_value=1,
        max_value=90,
        help_text=_("Warn when the balance is enough for this many days or fewer (1–90)."),
    )
    amount = forms.DecimalField(
        label=_("Balance below, ₽"),
        min_value=Decimal("0.00"),
        max_value=Decimal("100000000.00"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Warn when the balance falls below this amount."),
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("Who is told"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Nobody chosen: every administrator of the company."),
    )

    def __init__(self, *args: Any, client: Client, policy: AlertPolicy, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "enabled": policy.enabled,
                "kind": policy.kind,
                "days": policy.days,
                "amount": policy.amount,
                "recipients": list(policy.recipients.all()) if policy.pk else [],
            },
        )
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(membership__client=client, is_active=True).order_by(
            "last_name", "first_name", "email"
        )
        field.label_from_instance = _person  # type: ignore[method-assign,assignment]
