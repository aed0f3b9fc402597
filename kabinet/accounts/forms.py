from __future__ import annotations

import smtplib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from kabinet.lib.inn import inn_is_valid

from .models import Client, ClientStatus, MembershipRole, Role, User


class LoginForm(forms.Form):
    username = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        help_text=_("6 digits from your authenticator app; a new one every 30 seconds."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Recovery code"),
        max_length=24,
        help_text=_("One of the ten codes you saved when you turned two-factor sign-in on."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}
        ),
    )


class TwoFactorConfirmForm(forms.Form):
    confirmation = forms.CharField(
        label=_("A code from the app, or your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TwoFactorResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the user sees it)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: lost phone, identity confirmed by a call to the director."),
    )
    confirm = forms.BooleanField(label=_("Yes, I have checked who is asking"), required=True)


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = [
            "contract_number",
            "name",
            "inn",
            "kpp",
            "legal_address",
            "postal_address",
            "contact_person",
            "contact_phone",
            "contact_email",
            "manager",
            "note",
        ]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 3}),
            "legal_address": forms.TextInput(),
            "postal_address": forms.TextInput(),
        }
        help_texts = {
            "contract_number": _("Digits only; printed on the contract and used for payments."),
            "inn": _("10 digits for a company, 12 for an individual entrepreneur."),
            "kpp": _("9 digits; leave empty for an individual entrepreneur."),
            "manager": _("The client sees this manager in the cabinet."),
            "note": _("For the operator only; the client never sees it."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            role__in=[Role.MANAGER, Role.ADMIN], is_active=True
        )
        if self.instance.pk:
            # The contract number identifies payments and billing records: fixed once created.
            self.fields["contract_number"].disabled = True

    def clean_inn(self) -> str:
        inn = self.cleaned_data["inn"].strip()
        if not inn_is_valid(inn):
            raise forms.ValidationError(_("INN must be 10 or 12 digits with a valid check digit."))
        return inn


class ClientStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ClientStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason (the client sees it)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(label=_("Yes, I am sure"), required=True)


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ClientStatus.choices]
    )
    manager = forms.ChoiceField(label=_("Manager"), required=False, choices=[])
    # The balance forecast's days left (the forecast app's nightly figure), soonest first.
    runs_out = forms.TypedChoiceField(
        label=_("Balance runs out"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any time")),
            ("0", _("Already used up")),
            ("3", _("Within 3 days")),
            ("7", _("Within 7 days")),
            ("14", _("Within 14 days")),
            ("30", _("Within 30 days")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN]).order_by("last_name")
        self.fields["manager"].choices = [  # type: ignore[attr-defined]
            ("", _("Any manager")),
            ("me", _("Mine")),
            *[(str(m.pk), m.display_name) for m in managers],
        ]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the person to invite"), max_length=254)
    membership_role = forms.ChoiceField(
        label=_("Role in the company"),
        choices=MembershipRole.choices,
        initial=MembershipRole.MEMBER,
        help_text=_("A company administrator can invite and block colleagues."),
    )


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 9 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language"]


class NotificationPreferencesForm(forms.Form):
    email_categories = forms.MultipleChoiceField(
        label=_("Also send me by e-mail"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )

    sms_categories = forms.MultipleChoiceField(
        label=_("Also send me by SMS"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
        help_text=_("SMS go to your confirmed mobile number only (see below)."),
    )

    telegram_categories = forms.MultipleChoiceField(
        label=_("Also send me in Telegram"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
        help_text=_(
            "Messages come from the operator's bot to the Telegram you linked (see below)."
        ),
    )

    def __init__(
        self,
        *args: Any,
        sms_ready: bool = True,
        telegram_ready: bool = True,
        telegram_offered: bool = True,
        **kwargs: Any,
    ) -> None:
        from kabinet.notifications.models import Category

        super().__init__(*args, **kwargs)
        for name in ("email_categories", "sms_categories", "telegram_categories"):
            self.fields[name].choices = Category.choices  # type: ignore[attr-defined]
        if not telegram_offered:
            del self.fields["telegram_categories"]
        elif not telegram_ready:
            self.fields["telegram_categories"].disabled = True
            self.fields["telegram_categories"].help_text = _(
                "Link your Telegram below to receive notices there."
            )
        if not sms_ready:
            self.fields["sms_categories"].disabled = True
            self.fields["sms_categories"].help_text = _(
                "Confirm a mobile number below to receive SMS."
            )


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("A Russian mobile number, for example +7 912 345-67-89."),
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


LANGUAGE_CHOICES = settings.LANGUAGES


class MailServerDown(Exception):
    """The mail server did not take a message: the person is told to try again."""


class ResetPasswordForm(PasswordResetForm):
    """Django's reset form, but a reset e-mail the mail server refuses is not dropped silently.

    The reset link carries a token that is never stored, so the mail cannot be queued and
    retried later; the person is told to try again instead. The mail server is tried before
    anyone is looked up, so the answer is the same whether the address has an account or not.
    """

    connection: Any = None

    def save(self, *args: Any, **kwargs: Any) -> None:
        connection = get_connection()
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise MailServerDown from exc
        self.connection = connection
        try:
            super().save(*args, **kwargs)
        finally:
            self.connection = None
            connection.close()

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(
            subject, body, from_email, [to_email], connection=self.connection
        )
        try:
            message.send()
        except (OSError, smtplib.SMTPException) as exc:
            raise MailServerDown from exc
