from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kabinet.accounts.models import Role, User
from kabinet.catalog.models import ParameterSpec, ParamType, Service
from kabinet.core.forms import AttachmentsField
from kabinet.lib import is_db_id
from kabinet.lib.prepared import prepared

from .models import RequestKind, RequestStatus, Rule, RuleAction


def managers() -> Any:
    return User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True).order_by(
        "last_name", "first_name", "email"
    )


@prepared
def _manager_rows() -> QuerySet[User]:
    return managers().only("id", "first_name", "last_name", "email")


def manager_names() -> list[tuple[int, str]]:
    """The managers as (id, name), in one query of the four columns a name needs (compiled
    once: every queue page and request asks)."""
    return [(u.pk, u.display_name) for u in _manager_rows.models()]


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class OtherRequestForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("A few words, for example “Reconciliation statement for Q3”."),
    )
    text = forms.CharField(
        label=_("What do you need?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Dates, numbers and names help us answer without asking again."),
    )
    attachments = AttachmentsField()


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the client"),
        required=False,
        max_length=2000,
        help_text=_("The client sees it on the request; required to reject."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(forms.Form):
    assignee = ManagerChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = managers()  # type: ignore[attr-defined]


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("assign", _("Assign"))]
    )
    comment = forms.CharField(required=False, max_length=2000)
    assignee = ManagerChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = managers()  # type: ignore[attr-defined]
        # Any ids are acceptable here: the service decides each request on its own.
        self.fields["ids"].choices = [(i, i) for i in self.data.getlist("ids") if is_db_id(i)]  # type: ignore[attr-defined,union-attr]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("open", pgettext_lazy("requests filter", "Open")),
            ("", _("Any status")),
            *RequestStatus.choices,
        ],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *RequestKind.choices]
    )
    client = forms.CharField(label=_("Contract"), required=False, max_length=20)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(
        self, *args: Any, people: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        """``people``: ``manager_names()`` when the caller has them already."""
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(str(pk), name) for pk, name in (manager_names() if people is None else people)],
        ]


class RuleForm(forms.ModelForm):
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), required=False, empty_label=_("Any")
    )
    assign_to = ManagerChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The client's manager"),
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "kind",
            "service",
            "tariff_visibility",
            "client_status",
            "min_balance",
            "parameter_code",
            "parameter_min",
            "parameter_max",
            "action",
            "assign_to",
            "message",
        ]
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": _("Say what it does, for example “Up to 10 lines at once”."),
            "tariff_visibility": _("For connections and tariff changes."),
            "min_balance": _("In roubles, the payments balance (payments less refunds)."),
            "action": _("Approve carries the request out at once, as a manager would."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        if kwargs.get("instance") is None:
            kwargs["initial"].setdefault("action", RuleAction.ASSIGN)
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].queryset = managers()  # type: ignore[attr-defined]
        self.fields["parameter_code"] = forms.ChoiceField(
            label=_("Parameter"),
            required=False,
            choices=self._parameter_choices(),
            help_text=_("A whole-number setting; the request must set it within the limits."),
        )
        self.fields["service"].label_from_instance = lambda s: s.display_name  # type: ignore[attr-defined]
        for name in ("kind", "tariff_visibility", "client_status"):
            field = self.fields[name]
            field.choices = [("", _("Any")), *list(field.choices)[1:]]  # type: ignore[attr-defined]

    def _parameter_choices(self) -> list[tuple[str, str]]:
        """Whole-number parameters of every service, by code (services may share a code)."""
        names: dict[str, list[str]] = {}
        for spec in ParameterSpec.objects.filter(type=ParamType.INT).select_related("service"):
            names.setdefault(spec.code, []).append(
                f"{spec.display_label} — {spec.service.display_name}"
            )
        choices = [("", str(_("Any")))]
        choices += sorted(
            ((code, f"{'; '.join(labels)} ({code})") for code, labels in names.items()),
            key=lambda choice: choice[1],
        )
        current = self.instance.parameter_code if self.instance else ""
        if current and current not in names:
            choices.append((current, current))
        return choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("parameter_code") or "").strip()
        data["parameter_code"] = code
        low, high = data.get("parameter_min"), data.get("parameter_max")
        if code and low is None and high is None:
            self.add_error("parameter_max", _("Give at least one limit for the parameter."))
        if not code and (low is not None or high is not None):
            self.add_error("parameter_code", _("Name the parameter the limits are for."))
        if low is not None and high is not None and low > high:
            self.add_error("parameter_max", _("The upper limit is below the lower one."))
        service = data.get("service")
        if code and service is not None:
            spec = service.parameters.filter(code=code).first()
            if spec is None:
                self.add_error("parameter_code", _("The service has no such parameter."))
            elif spec.type != ParamType.INT:
                self.add_error("parameter_code", _("Limits apply to whole-number parameters."))
        if data.get("action") == RuleAction.REJECT and not (data.get("message") or "").strip():
            self.add_error("message", _("Tell the client why their request is rejected."))
        return data
