from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.lib.i18n import pick

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", _("Use lower-case Latin letters, digits, - and _.")
)


class Service(models.Model):
    """Something the operator sells, with the schema of its parameters."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("internal description"), blank=True)
    is_active = models.BooleanField(
        _("sold"), default=True, help_text=_("Clients can ask to connect it.")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("manager:service_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)


class ParamType(models.TextChoices):
    BOOL = "bool", _("Yes / no")
    INT = "int", _("Whole number")
    CHOICE = "choice", _("Choice from a list")
    PHONE = "phone", _("Phone number (E.164)")
    TEXT = "text", _("Text")


class ParameterSpec(models.Model):
    """One typed parameter of a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="parameters")
    code = models.CharField(_("code"), max_length=50, validators=[code_validator])
    label = models.CharField(_("label (Russian)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    help = models.CharField(_("hint (Russian)"), max_length=300, blank=True)
    help_en = models.CharField(_("hint (English)"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=ParamType.choices)
    default = models.JSONField(_("default"), null=True, blank=True)
    min_value = models.IntegerField(_("minimum"), null=True, blank=True)
    max_value = models.IntegerField(_("maximum"), null=True, blank=True)
    # [{"value": "...", "label": "...", "label_en": "..."}]
    choices = models.JSONField(_("choices"), default=list, blank=True)
    pattern = models.CharField(_("pattern (regular expression)"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    client_editable = models.BooleanField(_("client may change"), default=False)
    needs_approval = models.BooleanField(_("client's change needs approval"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")
        ordering = ["service", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="param_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service.code}.{self.code}"

    @property
    def display_label(self) -> str:
        return pick(self.label, self.label_en)

    @property
    def display_help(self) -> str:
        return pick(self.help, self.help_en)

    def choice_label(self, value: object) -> str:
        for choice in self.choices:
            if choice.get("value") == value:
                return pick(choice.get("label", ""), choice.get("label_en", "")) or str(value)
        return str(value)

    def display_value(self, value: object) -> str:
        from django.utils.translation import gettext

        if value is None or value == "":
            return "—"
        if self.type == ParamType.BOOL:
            return gettext("Yes") if value else gettext("No")
        if self.type == ParamType.CHOICE:
            return self.choice_label(value)
        return str(value)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    ARCHIVED = "archived", _("Archived")
    EXCLUSIVE = "exclusive", _("Exclusive")


class TariffQuerySet(models.QuerySet["Tariff"]):
    def alive(self) -> TariffQuerySet:
        return self.filter(deleted_at__isnull=True)


class Tariff(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tariffs")
    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description for clients (Russian)"), blank=True)
    description_en = models.TextField(_("description for clients (English)"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    offered_to: models.ManyToManyField = models.ManyToManyField(
        "accounts.Client",
        through="TariffOffer",
        related_name="exclusive_tariffs",
        blank=True,
        verbose_name=_("offered to"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Tariffs are never removed from the database: they carry price history.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = TariffQuerySet.as_manager()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["service__position", "name"]
        indexes = [models.Index(fields=["service", "visibility"], name="tariff_service_vis_idx")]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("manager:tariff_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return pick(self.description, self.description_en)

    def version_on(self, day: dt.date) -> TariffVersion | None:
        """The prices in force on ``day`` (uses prefetched versions when present)."""
        versions = sorted(self.versions.all(), key=lambda v: v.effective_from, reverse=True)
        return next((v for v in versions if v.effective_from <= day), None)

    @property
    def current_version(self) -> TariffVersion | None:
        return self.version_on(timezone.localdate())

    @property
    def next_version(self) -> TariffVersion | None:
        today = timezone.localdate()
        upcoming = sorted(
            (v for v in self.versions.all() if v.effective_from > today),
            key=lambda v: v.effective_from,
        )
        return upcoming[0] if upcoming else None


class TariffOffer(models.Model):
    """An exclusive tariff offered to one client."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="offers")
    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tariff", "client"], name="tariff_offer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tariff} → {self.client}"


PRICE_FIELDS = (
    "monthly_fee",
    "setup_fee",
    "per_minute_local",
    "per_minute_long_distance",
    "per_minute_international",
)


def _money(verbose: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose, max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )


class TariffVersion(models.Model):
    """A tariff's prices from a date on. Versions are never edited: a change adds one."""

    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField(_("effective from"))
    monthly_fee = _money(_("monthly fee"))
    setup_fee = _money(_("set-up fee"))
    per_minute_local = _money(_("local, per minute"))
    per_minute_long_distance = _money(_("long distance, per minute"))
    per_minute_international = _money(_("international, per minute"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("price version")
        verbose_name_plural = _("price versions")
        ordering = ["tariff", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "effective_from"], name="tariff_version_date_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.code} from {self.effective_from}"

    @property
    def prices(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in PRICE_FIELDS}
