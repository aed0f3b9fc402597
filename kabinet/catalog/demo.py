"""The demo catalog of a St Petersburg business-telephony operator, and demo subscriptions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kabinet.accounts.models import Client
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import subscription_record

from .models import ParameterSpec, Service, Tariff, TariffOffer, TariffVersion, Visibility
from .services import tariff_record

D = Decimal

SERVICES: list[dict[str, Any]] = [
    {
        "code": "local-number",
        "name": "Городской номер",
        "name_en": "Local number",
        "description": "Номер в коде 812 с многоканальным доступом.",
        "params": [
            dict(
                code="lines",
                label="Количество линий",
                label_en="Number of lines",
                type="int",
                default=2,
                min_value=1,
                max_value=30,
                client_editable=True,
                needs_approval=True,
                help="Одновременных разговоров на номере",
                help_en="Simultaneous calls on the number",
            ),
            dict(
                code="caller_id",
                label="Показывать номер (АОН)",
                label_en="Show caller ID",
                type="bool",
                default=True,
                client_editable=True,
            ),
            dict(
                code="number",
                label="Номер",
                label_en="Number",
                type="phone",
                default=None,
                help="Назначает менеджер",
                help_en="Assigned by the manager",
            ),
        ],
        "tariffs": [
            (
                "local-start",
                "Старт",
                "Start",
                Visibility.PUBLIC,
                ("490.00", "1000.00", "0.00", "2.50", "19.00"),
            ),
            (
                "local-business",
                "Бизнес",
                "Business",
                Visibility.PUBLIC,
                ("990.00", "0.00", "0.00", "1.90", "15.00"),
            ),
            (
                "local-2019",
                "Городской-2019",
                "Local 2019",
                Visibility.ARCHIVED,
                ("390.00", "1500.00", "0.40", "3.20", "24.00"),
            ),
            (
                "local-partner",
                "Партнёрский",
                "Partner",
                Visibility.EXCLUSIVE,
                ("690.00", "0.00", "0.00", "1.50", "12.00"),
            ),
        ],
    },
    {
        "code": "long-distance",
        "name": "Междугородная и международная связь",
        "name_en": "Long-distance and international calls",
        "description": "Выход на междугородную и международную связь с лимитом расходов.",
        "params": [
            dict(
                code="international",
                label="Международные звонки",
                label_en="International calls",
                type="bool",
                default=False,
                client_editable=True,
                needs_approval=True,
            ),
            dict(
                code="monthly_limit",
                label="Лимит расходов в месяц, ₽",
                label_en="Monthly spending limit, ₽",
                type="int",
                default=5000,
                min_value=500,
                max_value=200000,
                client_editable=True,
            ),
        ],
        "tariffs": [
            (
                "ld-base",
                "Базовый",
                "Basic",
                Visibility.PUBLIC,
                ("0.00", "0.00", "0.00", "2.90", "21.00"),
            ),
            (
                "ld-world",
                "Весь мир",
                "Whole world",
                Visibility.PUBLIC,
                ("300.00", "0.00", "0.00", "2.20", "12.50"),
            ),
        ],
    },
    {
        "code": "forwarding",
        "name": "Переадресация вызовов",
        "name_en": "Call forwarding",
        "description": "Переадресация на мобильный или другой номер.",
        "params": [
            dict(
                code="enabled",
                label="Переадресация включена",
                label_en="Forwarding on",
                type="bool",
                default=False,
                client_editable=True,
            ),
            dict(
                code="target",
                label="Номер для переадресации",
                label_en="Forward to",
                type="phone",
                default=None,
                client_editable=True,
                help="Например, +79211234567",
                help_en="For example +79211234567",
            ),
            dict(
                code="delay",
                label="Задержка, секунд",
                label_en="Delay, seconds",
                type="choice",
                default="15",
                client_editable=True,
                choices=[
                    {"value": "0", "label": "Сразу", "label_en": "At once"},
                    {"value": "15", "label": "15 секунд", "label_en": "15 seconds"},
                    {"value": "30", "label": "30 секунд", "label_en": "30 seconds"},
                ],
            ),
        ],
        "tariffs": [
            (
                "fwd-standard",
                "Стандарт",
                "Standard",
                Visibility.PUBLIC,
                ("150.00", "0.00", "0.00", "0.00", "0.00"),
            ),
        ],
    },
    {
        "code": "voicemail",
        "name": "Голосовая почта",
        "name_en": "Voice mail",
        "description": "Сообщения приходят на e-mail в формате MP3.",
        "params": [
            dict(
                code="email",
                label="E-mail для сообщений",
                label_en="E-mail for messages",
                type="text",
                default=None,
                client_editable=True,
                pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
            ),
            dict(
                code="greeting",
                label="Приветствие",
                label_en="Greeting",
                type="choice",
                default="standard",
                client_editable=True,
                choices=[
                    {"value": "standard", "label": "Стандартное", "label_en": "Standard"},
                    {"value": "custom", "label": "Своё", "label_en": "Custom"},
                ],
            ),
        ],
        "tariffs": [
            (
                "vm-basic",
                "Голосовая почта",
                "Voice mail",
                Visibility.PUBLIC,
                ("120.00", "0.00", "0.00", "0.00", "0.00"),
            ),
        ],
    },
    {
        "code": "vpbx",
        "name": "Виртуальная АТС",
        "name_en": "Virtual PBX",
        "description": "Облачная АТС: внутренние номера, очереди, запись разговоров.",
        "params": [
            dict(
                code="extensions",
                label="Внутренних номеров",
                label_en="Extensions",
                type="int",
                default=5,
                min_value=1,
                max_value=500,
                client_editable=True,
                needs_approval=True,
            ),
            dict(
                code="recording",
                label="Запись разговоров",
                label_en="Call recording",
                type="bool",
                default=False,
                client_editable=True,
            ),
            dict(
                code="prefix",
                label="Префикс внутренних номеров",
                label_en="Extension prefix",
                type="text",
                default="1",
                pattern=r"[1-9][0-9]?",
            ),
        ],
        "tariffs": [
            (
                "vpbx-10",
                "АТС-10",
                "PBX-10",
                Visibility.PUBLIC,
                ("1490.00", "0.00", "0.00", "0.00", "0.00"),
            ),
            (
                "vpbx-50",
                "АТС-50",
                "PBX-50",
                Visibility.PUBLIC,
                ("4900.00", "0.00", "0.00", "0.00", "0.00"),
            ),
        ],
    },
]

PRICE_NAMES = (
    "monthly_fee",
    "setup_fee",
    "per_minute_local",
    "per_minute_long_distance",
    "per_minute_international",
)

# contract → [(tariff code, parameters)]
SUBSCRIPTIONS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "100001": [
        ("local-business", {"lines": 8, "caller_id": True, "number": "+78124001001"}),
        ("ld-world", {"international": True, "monthly_limit": 30000}),
        ("vpbx-10", {"extensions": 8, "recording": True, "prefix": "2"}),
    ],
    "100002": [
        ("local-2019", {"lines": 4, "caller_id": True, "number": "+78124002002"}),
        ("fwd-standard", {"enabled": True, "target": "+79214002002", "delay": "15"}),
    ],
    "100003": [
        ("local-partner", {"lines": 12, "caller_id": True, "number": "+78124003003"}),
        ("vm-basic", {"email": "reception@petroclinic.example", "greeting": "standard"}),
    ],
    "100004": [("local-start", {"lines": 1, "caller_id": False, "number": "+78124004004"})],
    "100005": [("local-start", {"lines": 2, "caller_id": True, "number": "+78124005005"})],
}


def seed_catalog() -> list[str]:
    since = timezone.localdate() - dt.timedelta(days=400)
    for position, data in enumerate(SERVICES, start=1):
        service, _ = Service.objects.get_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "name_en": data["name_en"],
                "description": data["description"],
                "position": position * 10,
            },
        )
        for order, spec in enumerate(data["params"], start=1):
            ParameterSpec.objects.get_or_create(
                service=service, code=spec["code"], defaults={**spec, "position": order}
            )
        for code, name, name_en, visibility, prices in data["tariffs"]:
            tariff, created = Tariff.objects.get_or_create(
                code=code,
                defaults={
                    "service": service,
                    "name": name,
                    "name_en": name_en,
                    "visibility": visibility,
                },
            )
            if created:
                version = TariffVersion.objects.create(
                    tariff=tariff,
                    effective_from=since,
                    **{k: D(v) for k, v in zip(PRICE_NAMES, prices, strict=True)},
                )
                tariff_record(tariff, version)
    partner = Tariff.objects.get(code="local-partner")
    TariffOffer.objects.get_or_create(
        tariff=partner, client=Client.objects.get(contract_number="100003")
    )
    for contract, rows in SUBSCRIPTIONS.items():
        client = Client.objects.get(contract_number=contract)
        for code, params in rows:
            tariff = Tariff.objects.get(code=code)
            if not Subscription.objects.filter(
                client=client, tariff__service=tariff.service
            ).exists():
                subscription = Subscription.objects.create(
                    client=client,
                    service=tariff.service,
                    tariff=tariff,
                    parameters=params,
                    created_at=timezone.now() - dt.timedelta(days=300),
                )
                subscription_record(subscription)
    return [
        f"Services: {Service.objects.count()}, tariffs: {Tariff.objects.count()}, "
        f"subscriptions: {Subscription.objects.count()}"
    ]
