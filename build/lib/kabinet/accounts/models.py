from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.lib.inn import inn_is_valid

digits_only = RegexValidator(r"^[0-9]+$", _("Use digits only."))
kpp_validator = RegexValidator(r"^[0-9]{9}$", _("KPP is exactly 9 digits."))


class Role(models.TextChoices):
    CLIENT = "client", _("Client user")
    MANAGER = "manager", _("Manager")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = (Role.MANAGER, Role.EDITOR, Role.ADMIN)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who logs in with their e-mail. ``role`` says which cabinet is theirs."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CLIENT)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = UserManager()  # type: ignore[misc,assignment]

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        # Staff lists (assignees, managers' filters) among hundreds of thousands of users.
        indexes = [models.Index(fields=["role", "last_name"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_client_user(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_editor(self) -> bool:
        return self.role in (Role.EDITOR, Role.ADMIN)

    @property
    def is_operator_staff(self) -> bool:
        return self.role in STAFF_ROLES


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class Client(models.Model):
    """A legal entity under contract with the operator."""

    contract_number = models.CharField(
        _("contract number"), max_length=20, unique=True, validators=[digits_only]
    )
    name = models.CharField(_("company name"), max_length=300)
    # Lower-cased name for case-insensitive search on every database (SQLite's LOWER and
    # LIKE fold ASCII only, and Russian names are Cyrillic).
    name_search = models.CharField(max_length=300, editable=False, default="")
    inn = models.CharField(_("INN"), max_length=12, validators=[digits_only])
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[kpp_validator])
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True)
    postal_address = models.CharField(_("postal address"), max_length=500, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_clients",
        limit_choices_to={"role__in": [Role.MANAGER, Role.ADMIN]},
    )
    note = models.TextField(_("internal note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["contract_number"]
        indexes = [
            models.Index(fields=["status", "contract_number"], name="client_status_contract_idx"),
            models.Index(fields=["inn"], name="client_inn_idx"),
            models.Index(fields=["name_search"], name="client_name_search_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.contract_number})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_search = self.name.casefold()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_search"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("manager:client_detail", args=[self.pk])

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.inn and not inn_is_valid(self.inn):
            raise ValidationError(
                {"inn": _("INN must be 10 or 12 digits with a valid check digit.")}
            )

    @property
    def is_closed(self) -> bool:
        return self.status == ClientStatus.CLOSED

    @property
    def masked_name(self) -> str:
        """The name with letters hidden, shown to anonymous payers to confirm the recipient."""
        words = []
        for word in self.name.split():
            if len(word) <= 2 or not any(ch.isalpha() for ch in word):
                words.append(word)
            else:
                visible = 2 if len(word) > 4 else 1
                words.append(word[:visible] + "*" * (len(word) - visible - 1) + word[-1])
        return " ".join(words)


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Company administrator")
    MEMBER = "member", _("Employee")


class Membership(models.Model):
    """Links a client user to their company. One login belongs to one company."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(
        _("role in the company"),
        max_length=16,
        choices=MembershipRole.choices,
        default=MembershipRole.MEMBER,
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.client}"

    @property
    def is_admin(self) -> bool:
        return self.role == MembershipRole.ADMIN


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mailed link that lets a person set a password and join a company."""

    email = models.EmailField(_("e-mail"))
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invitations")
    membership_role = models.CharField(
        _("role in the company"),
        max_length=16,
        choices=MembershipRole.choices,
        default=MembershipRole.MEMBER,
    )
    # Only the hash is stored: a database leak must not hand out working links.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.client.contract_number}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"

    @property
    def state_label(self) -> Any:
        return {
            "accepted": _("Accepted"),
            "revoked": _("Revoked"),
            "expired": _("Expired"),
            "pending": _("Waiting"),
        }[self.state]


class TwoFactor(models.Model):
    """A user's second factor: a TOTP secret, kept encrypted (kabinet.lib.secretbox)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    # The confirmed secret; empty until the first code from the app is entered.
    secret = models.TextField(blank=True)
    # A secret being set up (first time or a new phone); the confirmed one works meanwhile.
    pending_secret = models.TextField(blank=True)
    enabled_at = models.DateTimeField(_("turned on"), null=True, blank=True)
    # The last time step accepted: a code of that step or an earlier one is never taken again.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("two-factor sign-in")
        verbose_name_plural = _("two-factor sign-ins")

    def __str__(self) -> str:
        return f"2FA {self.user_id}"

    @property
    def is_enabled(self) -> bool:
        return self.enabled_at is not None and bool(self.secret)


class RecoveryCode(models.Model):
    """A one-time code for signing in without the phone. Only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


class SessionEnd(models.TextChoices):
    SIGN_OUT = "sign_out", _("Signed out")
    ENDED = "ended", _("Ended by the user")
    PASSWORD = "password", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")


class UserSession(models.Model):
    """One sign-in of a user on a device, shown on the sessions page.

    The session itself lives in Django's session store (the database, shared by every app
    server); this row says whose it is and where it came from, so it can be listed and ended.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins"
    )
    session_key = models.CharField(max_length=64, db_index=True)
    user_agent = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=SessionEnd.choices, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_activity_at"]
        indexes = [
            models.Index(fields=["user", "ended_at", "expires_at"], name="usersession_active_idx")
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"

    @property
    def device(self) -> str:
        from .devices import device_label

        return device_label(self.user_agent)
