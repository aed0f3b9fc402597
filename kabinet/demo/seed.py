"""The demo operator: a St Petersburg business-telephony company. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from kabinet.accounts.models import Client, ClientStatus, Membership, MembershipRole, Role, User
from kabinet.accounts.roles import roles_setup
from kabinet.accounts.services import user_sync_role_groups
from kabinet.core.appconfig import contributions
from kabinet.exchange.outbox import client_upserted_data, outbox_record
from kabinet.lib.inn import inn12_with_checksum, inn_with_checksum

DEMO_PASSWORD = "demo12345"

STAFF = [
    ("admin@kabinet.test", Role.ADMIN, "Ольга", "Админова", "+7 812 400-00-01"),
    ("manager@kabinet.test", Role.MANAGER, "Ирина", "Волкова", "+7 812 400-00-11"),
    ("manager2@kabinet.test", Role.MANAGER, "Дмитрий", "Соколов", "+7 812 400-00-12"),
    ("editor@kabinet.test", Role.EDITOR, "Мария", "Редакторова", "+7 812 400-00-21"),
]

CLIENTS: list[dict[str, Any]] = [
    {
        "contract_number": "100001",
        "name": "ООО «Балтийская логистика»",
        "inn": inn_with_checksum("781234567"),
        "kpp": "781001001",
        "legal_address": "191186, Санкт-Петербург, Невский пр., д. 28, лит. А",
        "postal_address": "191186, Санкт-Петербург, Невский пр., д. 28, офис 412",
        "contact_person": "Петров Алексей Игоревич",
        "contact_phone": "+7 812 555-10-01",
        "contact_email": "office@baltlog.example",
        "status": ClientStatus.ACTIVE,
        "manager": "manager@kabinet.test",
        "user": ("client100001@kabinet.test", "Алексей", "Петров"),
    },
    {
        "contract_number": "100002",
        "name": "АО «Невский текстиль»",
        "inn": inn_with_checksum("784011223"),
        "kpp": "784001001",
        "legal_address": "192019, Санкт-Петербург, ул. Профессора Качалова, д. 11",
        "postal_address": "192019, Санкт-Петербург, ул. Профессора Качалова, д. 11",
        "contact_person": "Кузнецова Елена Павловна",
        "contact_phone": "+7 812 555-20-02",
        "contact_email": "info@nevtex.example",
        "status": ClientStatus.ACTIVE,
        "manager": "manager@kabinet.test",
        "user": ("client100002@kabinet.test", "Елена", "Кузнецова"),
    },
    {
        "contract_number": "100003",
        "name": "ООО «Клиника на Петроградской»",
        "inn": inn_with_checksum("781377001"),
        "kpp": "781301001",
        "legal_address": "197101, Санкт-Петербург, Каменноостровский пр., д. 42",
        "postal_address": "197101, Санкт-Петербург, Каменноостровский пр., д. 42",
        "contact_person": "Морозов Сергей Андреевич",
        "contact_phone": "+7 812 555-30-03",
        "contact_email": "admin@petroclinic.example",
        "status": ClientStatus.ACTIVE,
        "manager": "manager2@kabinet.test",
        "user": ("client100003@kabinet.test", "Сергей", "Морозов"),
    },
    {
        "contract_number": "100004",
        "name": "ИП Смирнова Анна Викторовна",
        "inn": inn12_with_checksum("7802123456"),
        "kpp": "",
        "legal_address": "194100, Санкт-Петербург, Лесной пр., д. 61, кв. 8",
        "postal_address": "194100, Санкт-Петербург, Лесной пр., д. 61",
        "contact_person": "Смирнова Анна Викторовна",
        "contact_phone": "+7 921 555-40-04",
        "contact_email": "smirnova.av@example.ru",
        "status": ClientStatus.ACTIVE,
        "manager": "manager2@kabinet.test",
        "user": ("client100004@kabinet.test", "Анна", "Смирнова"),
    },
    {
        "contract_number": "100005",
        "name": "ООО «Охтинские окна»",
        "inn": inn_with_checksum("780655443"),
        "kpp": "780601001",
        "legal_address": "195027, Санкт-Петербург, Среднеохтинский пр., д. 5",
        "postal_address": "195027, Санкт-Петербург, Среднеохтинский пр., д. 5",
        "contact_person": "Васильев Игорь Олегович",
        "contact_phone": "+7 812 555-50-05",
        "contact_email": "okna@ohta.example",
        "status": ClientStatus.CLOSED,
        "manager": "manager@kabinet.test",
        "user": ("client100005@kabinet.test", "Игорь", "Васильев"),
    },
]


def demo_logins() -> list[tuple[str, str]]:
    rows = [(email, role.value) for email, role, *_rest in STAFF]
    for data in CLIENTS:
        note = f"client {data['contract_number']} administrator"
        if data["status"] == ClientStatus.CLOSED:
            note += " (contract closed)"
        rows.append((data["user"][0], note))
    return rows


def _user(email: str, role: str, first: str, last: str, phone: str = "") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            first_name=first,
            last_name=last,
            phone=phone,
        )
    user_sync_role_groups(user=user)
    return user


def seed_staff() -> dict[str, User]:
    return {
        email: _user(email, role, first, last, phone) for email, role, first, last, phone in STAFF
    }


def seed_clients(staff: dict[str, User]) -> list[Client]:
    clients = []
    for data in CLIENTS:
        fields = {k: v for k, v in data.items() if k not in {"user", "manager", "contract_number"}}
        fields["manager"] = staff[data["manager"]]
        # The demo companies have been clients for a while (reconciliation statements for
        # past quarters need a contract that existed then).
        fields["created_at"] = timezone.now() - timedelta(days=540)
        client, created = Client.objects.get_or_create(
            contract_number=data["contract_number"], defaults=fields
        )
        if created:
            outbox_record(type="client.upserted", data=client_upserted_data(client))
        email, first, last = data["user"]
        user = _user(email, Role.CLIENT, first, last)
        Membership.objects.get_or_create(
            user=user, defaults={"client": client, "role": MembershipRole.ADMIN}
        )
        clients.append(client)
    # A second, ordinary employee of the first client shows the company-users screen.
    colleague = _user("buh100001@kabinet.test", Role.CLIENT, "Татьяна", "Бухгалтерова")
    Membership.objects.get_or_create(
        user=colleague, defaults={"client": clients[0], "role": MembershipRole.MEMBER}
    )
    return clients


def app_loaders() -> list[tuple[str, str]]:
    """(app label, dotted path) of each app's demo loader (``demo_loader`` on its config)."""
    found = [
        (config.demo_order, config.label, str(loader))
        for config, loader in contributions("demo_loader")
        if loader
    ]
    return [(label, loader) for _order, label, loader in sorted(found)]


def seed_demo(only: tuple[str, ...] | None = None) -> list[str]:
    """Load the demo; ``only`` limits the app seeds to those whose app is named (tests)."""
    from django.utils.module_loading import import_string

    with transaction.atomic():
        staff = seed_staff()
        clients = seed_clients(staff)
        lines = [
            f"Staff users: {len(staff)}",
            f"Clients: {len(clients)} "
            f"(contracts {clients[0].contract_number}–{clients[-1].contract_number})",
        ]
        for label, dotted in app_loaders():
            if only is None or label in only:
                lines.extend(import_string(dotted)())
        # After the site exists: editors' page permissions hang off its root.
        roles_setup()
    return lines
