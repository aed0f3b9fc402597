from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import CallCategory, ConsentText, LabelStatus, PhoneNumber
from .services import MAX_TEXT, check_display_text


class ApplicationForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"),
        disabled=True,
        required=False,
        help_text=_("As in the contract; the manager changes it if it is wrong."),
    )
    brand = forms.CharField(
        label=_("Commercial designation"),
        max_length=100,
        required=False,
        help_text=_("The brand people know you by, if it differs from the legal name."),
    )
    category = forms.ModelChoiceField(
        label=_("Category of calls"),
        queryset=CallCategory.objects.none(),
        empty_label=None,
    )
    display_text = forms.CharField(
        label=_("Display text"),
        # The server counts after tidying spaces; the browser's limit is only a help.
        max_length=200,
        help_text=_("At most 32 characters: letters, digits and spaces."),
    )
    numbers = forms.MultipleChoiceField(
        label=_("Numbers"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    consent = forms.BooleanField(required=True)

    def __init__(
        self, *args: Any, numbers: list[PhoneNumber], consent: ConsentText, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = CallCategory.objects.filter(is_active=True)
        chosen = self.fields["numbers"]
        assert isinstance(chosen, forms.MultipleChoiceField)
        chosen.choices = [(n.number, n.display) for n in numbers]
        self.fields["consent"].label = _(
            "I agree to pass these data to other operators, on the terms above (version %(v)s)"
        ) % {"v": consent.version}
        text = self.fields["display_text"].widget
        text.attrs.update(
            {
                "data-label-text": "",
                "data-max": str(MAX_TEXT),
                "data-allowed": settings.KABINET_CALL_LABEL_CHARS,
                "autocomplete": "off",
            }
        )

    def clean_display_text(self) -> str:
        try:
            return check_display_text(self.cleaned_data["display_text"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why it is declined"), max_length=500)


QUEUE_FILTERS = [
    (LabelStatus.MODERATION.value, LabelStatus.MODERATION.label),
    (LabelStatus.SUBMITTED.value, LabelStatus.SUBMITTED.label),
    (LabelStatus.ACTIVE.value, LabelStatus.ACTIVE.label),
    (LabelStatus.DECLINED.value, LabelStatus.DECLINED.label),
    (LabelStatus.REJECTED.value, LabelStatus.REJECTED.label),
    ("", _("All")),
]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Show"), required=False, choices=QUEUE_FILTERS)
    contract = forms.CharField(label=_("Contract"), required=False, max_length=20)


class CategoryForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name (Russian)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=1000, initial=100)


class ConsentForm(forms.Form):
    text = forms.CharField(
        label=_("Text (Russian)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )
    text_en = forms.CharField(
        label=_("Text (English)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
