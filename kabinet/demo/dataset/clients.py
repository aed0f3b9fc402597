"""Clients' users and the managers who serve them."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast

from kabinet.accounts.models import Client, Membership, MembershipRole, Role, User
from kabinet.accounts.services import user_sync_role_groups

from . import names
from .common import (
    BENCH_CLIENT_EMAIL,
    BENCH_MANAGER_EMAIL,
    CLIENTS_PER_MANAGER,
    FIRST_CONTRACT,
    USER_DOMAIN,
    _Base,
)


def _existing_dataset() -> tuple[bool, int | None]:
    """(bench manager exists, highest contract number at or above 200000)."""
    exists = User.objects.filter(email=BENCH_MANAGER_EMAIL).exists()
    top = (
        Client.objects.filter(contract_number__regex=r"^[0-9]{6,12}$")
        .annotate(n=Cast("contract_number", BigIntegerField()))
        .filter(n__gte=FIRST_CONTRACT)
        .aggregate(m=Max("n"))["m"]
    )
    return exists, top


class ClientsPart(_Base):
    def _users(
        self,
        rng: random.Random,
        g: int,
        contract: str,
        client_id: int,
        created: dt.datetime,
        bench_client: bool,
    ) -> list[tuple[int, str, str]]:
        """Writes the client's users; returns (id, e-mail, language) with the admin first."""
        count = 2 if bench_client else 1 + g % 3
        users = []
        for k in range(count):
            user_id = self.w.next_id(User)
            email = (
                BENCH_CLIENT_EMAIL if bench_client and k == 0 else f"{contract}.{k}@{USER_DOMAIN}"
            )
            first, _patronymic, surname, _female = names.person(rng)
            language = "en" if rng.random() < 0.1 and not bench_client else "ru"
            joined = created + dt.timedelta(
                days=rng.randint(0, 60) if k == 0 else rng.randint(30, 700)
            )
            joined = min(joined, self.now - dt.timedelta(days=1))
            active = k == 0 or rng.random() > 0.05
            last_login = self._between(rng, joined, self.now) if rng.random() < 0.8 else None
            self.w.add(
                User,
                (
                    user_id,
                    self.password,
                    last_login,
                    False,
                    email,
                    first,
                    surname,
                    False,
                    active,
                    joined,
                    Role.CLIENT,
                    names.city_phone(rng) if rng.random() < 0.5 else "",
                    language,
                ),
            )
            role = MembershipRole.ADMIN if k == 0 else MembershipRole.MEMBER
            position = ["Генеральный директор", "Главный бухгалтер", "Офис-менеджер"][k % 3]
            self.w.add(Membership, (user_id, client_id, role, position, joined))
            if active:
                users.append((user_id, email, language))
        return users

    # --- subscriptions ---------------------------------------------------------------------


def _ensure_managers(password: str, total_clients: int, now: dt.datetime) -> list[User]:
    wanted = max(2, -(-total_clients // CLIENTS_PER_MANAGER))
    rng = random.Random("managers")
    managers = []
    for n in range(wanted):
        email = BENCH_MANAGER_EMAIL if n == 0 else f"manager{n:03d}@{USER_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            first, _patronymic, surname, _female = names.person(rng)
            if n == 0:
                first, surname = "Вера", "Нагрузова"
            user = User.objects.create(
                email=email,
                password=password,
                role=Role.MANAGER,
                first_name=first,
                last_name=surname,
                phone=f"+7 812 400-{n // 100:02d}-{n % 100:02d}",
                date_joined=now - dt.timedelta(days=1500),
            )
            user_sync_role_groups(user=user)
        managers.append(user)
    return managers
