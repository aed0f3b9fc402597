"""Service requests with their history, and correspondence threads with the manager."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from kabinet.accounts.models import User
from kabinet.catalog.models import (
    ParamType,
    Visibility,
)
from kabinet.messaging.models import Message, Thread, ThreadRead
from kabinet.servicedesk.models import (
    EventAction,
    RequestEvent,
    RequestKind,
    RequestStatus,
    ServiceRequest,
)
from kabinet.subscriptions.models import SubscriptionStatus

from .catalog import CatalogPart
from .common import (
    _Sub,
)

THREAD_SUBJECTS = [
    "Закрывающие документы за квартал",
    "Акт сверки взаиморасчётов",
    "Переезд офиса",
    "Не проходят входящие звонки",
    "Счёт на оплату",
    "Смена реквизитов компании",
    "Подключение дополнительного номера",
    "Качество связи по утрам",
    "Возврат ошибочного платежа",
    "Запись разговоров в АТС",
    "Доверенность на подписание актов",
    "Переадресация на мобильный",
    "Вопрос по тарифу",
    "Международные звонки не проходят",
]
CLIENT_LINES = [
    "Добрый день! Подскажите, пожалуйста, по этому вопросу.",
    "Здравствуйте! Пришлите, пожалуйста, документы на почту бухгалтерии.",
    "Спасибо, получили.",
    "Проблема повторилась сегодня утром, около 10:00.",
    "Можно ли сделать это до конца месяца?",
    "Уточните, пожалуйста, сроки.",
    "Реквизиты во вложении к договору не изменились.",
    "Хорошо, ждём звонка.",
]
MANAGER_LINES = [
    "Добрый день! Проверили, всё в порядке. Если повторится — напишите.",
    "Здравствуйте! Документы отправили на почту, оригиналы — почтой России.",
    "Передали вопрос техническим специалистам, ответим сегодня.",
    "Сделаем в течение двух рабочих дней.",
    "Подготовили акт сверки, он во вложении.",
    "Позвоню вам завтра, чтобы обсудить варианты.",
    "Исправили, проверьте, пожалуйста.",
]
OTHER_SUBJECTS = [
    ("Акт сверки", "Пришлите, пожалуйста, акт сверки взаиморасчётов за прошлый квартал."),
    ("Смена контактного лица", "Контактное лицо по договору теперь главный бухгалтер."),
    ("Копия договора", "Нужна заверенная копия договора для тендера."),
    ("Детализация звонков", "Пришлите детализацию звонков за прошлый месяц."),
    ("Перенос номера", "Хотим перенести номер в новый офис в том же районе."),
]
DONE_COMMENTS = [
    "Готово. Изменения вступили в силу.",
    "Сделано, абонентская плата изменится со следующего месяца.",
    "Выполнено.",
]
REJECT_COMMENTS = [
    "По этому договору есть задолженность, сначала пополните баланс.",
    "Такое изменение на текущем тарифе недоступно, позвоню обсудить варианты.",
    "Не хватает документов, пришлите, пожалуйста, доверенность.",
]


class RequestsPart(CatalogPart):
    def _request(
        self,
        rng: random.Random,
        client_id: int,
        created: dt.datetime,
        status_changed: dt.datetime | None,
        users: list[tuple[int, str, str]],
        manager: User,
        subs: list[_Sub],
    ) -> None:
        if not users:
            return
        now = self.now
        end = min(status_changed or now, now) - dt.timedelta(minutes=10)
        filed = self._between(
            rng, max(created + dt.timedelta(days=1), now - dt.timedelta(days=730)), end
        )
        recent = filed > now - dt.timedelta(days=14) and status_changed is None
        if recent:
            status = rng.choices(
                [
                    RequestStatus.NEW,
                    RequestStatus.APPROVED,
                    RequestStatus.DONE,
                    RequestStatus.REJECTED,
                    RequestStatus.WITHDRAWN,
                ],
                [45, 15, 25, 8, 7],
            )[0]
        else:
            status = rng.choices(
                [RequestStatus.DONE, RequestStatus.REJECTED, RequestStatus.WITHDRAWN], [72, 15, 13]
            )[0]
        kind = rng.choices(
            [
                RequestKind.CHANGE_PARAMETERS,
                RequestKind.OTHER,
                RequestKind.CHANGE_TARIFF,
                RequestKind.CONNECT,
                RequestKind.DISCONNECT,
            ],
            [35, 25, 15, 15, 10],
        )[0]
        open_subs = [s for s in subs if s.status != SubscriptionStatus.CLOSED]
        sub: _Sub | None = None
        service_id = tariff_id = None
        parameters: dict[str, Any] = {}
        subject = text = ""
        if kind == RequestKind.CHANGE_PARAMETERS:
            candidates = [
                (s, spec) for s in open_subs for spec in s.service.specs if spec.client_editable
            ]
            if candidates:
                sub, spec = rng.choice(candidates)
                value = sub.parameters.get(spec.code) if status == RequestStatus.DONE else None
                if value is None:
                    value = self._value(rng, sub.service.code, spec, str(client_id))
                    if spec.type == ParamType.PHONE and value is None:
                        value = f"+79{rng.randint(100000000, 999999999)}"
                parameters = {spec.code: value}
            else:
                kind = RequestKind.OTHER
        elif kind == RequestKind.CHANGE_TARIFF:
            switchable = [
                s
                for s in open_subs
                if any(
                    t.visibility == Visibility.PUBLIC and t.id != s.tariff.id
                    for t in s.service.tariffs
                )
            ]
            if switchable:
                sub = rng.choice(switchable)
                if status == RequestStatus.DONE:
                    tariff_id = sub.tariff.id
                else:
                    public = [
                        t
                        for t in sub.service.tariffs
                        if t.visibility == Visibility.PUBLIC and t.id != sub.tariff.id
                    ]
                    tariff_id = rng.choice(public).id
            else:
                kind = RequestKind.OTHER
        elif kind == RequestKind.CONNECT:
            if status == RequestStatus.DONE:
                sub = rng.choice(subs)
                filed = max(sub.created_at - dt.timedelta(days=rng.randint(1, 3)), created)
                tariff_id, parameters = sub.tariff.id, dict(sub.parameters)
            else:
                have = {s.service.code for s in open_subs}
                missing = [s for s in self.services if s.code not in have]
                if missing:
                    service = rng.choice(missing)
                    public = [
                        t for t in service.tariffs if t.visibility == Visibility.PUBLIC
                    ] or service.tariffs
                    tariff_id = rng.choice(public).id
                    service_id = service.id
                    parameters = {spec.code: spec.default for spec in service.specs}
                else:
                    kind = RequestKind.OTHER
        elif kind == RequestKind.DISCONNECT:
            ended = [(s, s.closed_at) for s in subs if s.closed_at is not None]
            if status == RequestStatus.DONE and ended:
                sub, ended_at = rng.choice(ended)
                filed = max(ended_at - dt.timedelta(days=rng.randint(1, 5)), sub.created_at)
            elif open_subs:
                sub = rng.choice(open_subs)
                if status == RequestStatus.DONE:
                    status = RequestStatus.WITHDRAWN
            else:
                kind = RequestKind.OTHER
        if kind == RequestKind.OTHER:
            subject, text = rng.choice(OTHER_SUBJECTS)
        if sub is not None:
            service_id = sub.service.id
        author = rng.choice(users)
        request_id = self.w.next_id(ServiceRequest)
        due = filed + dt.timedelta(hours=self.due_hours.get(kind, 24))
        events: list[tuple[Any, ...]] = [
            (request_id, filed, author[0], EventAction.STATUS, RequestStatus.NEW, "", None)
        ]
        assignee = decided_by = decided_at = closed_at = None
        comment = ""
        at = filed + dt.timedelta(seconds=2)
        # Managers take on what they decide; half of the rest is assigned while it waits.
        decided_by_manager = status in (
            RequestStatus.APPROVED,
            RequestStatus.DONE,
            RequestStatus.REJECTED,
        )
        if decided_by_manager or (status == RequestStatus.NEW and rng.random() < 0.5):
            assignee = manager.pk
            at = min(at + dt.timedelta(minutes=rng.randint(1, 120)), now - dt.timedelta(minutes=2))
            events.append(
                (
                    request_id,
                    at,
                    manager.pk,
                    EventAction.ASSIGN,
                    RequestStatus.NEW,
                    "",
                    manager.pk,
                )
            )
        if status != RequestStatus.NEW:
            at = min(
                at + dt.timedelta(minutes=rng.randint(10, 60 * 30)), now - dt.timedelta(minutes=1)
            )
            decided_at = at
            if status == RequestStatus.WITHDRAWN:
                decided_by = author[0]
                closed_at = at
                events.append((request_id, at, author[0], EventAction.STATUS, status, "", None))
            elif status == RequestStatus.REJECTED:
                decided_by, closed_at, comment = manager.pk, at, rng.choice(REJECT_COMMENTS)
                events.append(
                    (request_id, at, manager.pk, EventAction.STATUS, status, comment, None)
                )
            else:
                decided_by = manager.pk
                events.append(
                    (
                        request_id,
                        at,
                        manager.pk,
                        EventAction.STATUS,
                        RequestStatus.APPROVED,
                        "",
                        None,
                    )
                )
                if status == RequestStatus.DONE:
                    at = min(
                        at + dt.timedelta(minutes=rng.randint(0, 600)),
                        now - dt.timedelta(seconds=30),
                    )
                    closed_at, comment = at, rng.choice(DONE_COMMENTS)
                    events.append(
                        (request_id, at, manager.pk, EventAction.STATUS, status, comment, None)
                    )
        self.w.add(
            ServiceRequest,
            (
                request_id,
                client_id,
                kind,
                status,
                sub.id if sub else None,
                service_id,
                tariff_id,
                parameters,
                subject,
                text,
                author[0],
                filed,
                assignee,
                due,
                comment,
                decided_by,
                decided_at,
                closed_at,
                filed + dt.timedelta(seconds=2),
            ),
        )
        for event in events:
            self.w.add(RequestEvent, event)

    def _thread(
        self,
        rng: random.Random,
        client_id: int,
        created: dt.datetime,
        users: list[tuple[int, str, str]],
        manager: User,
    ) -> None:
        if not users:
            return
        now = self.now
        client_user = users[0][0] if rng.random() < 0.7 else rng.choice(users)[0]
        at = self._between(
            rng, max(created, now - dt.timedelta(days=730)), now - dt.timedelta(hours=1)
        )
        from_client = rng.random() < 0.75
        thread_id = self.w.next_id(Thread)
        first_author = client_user if from_client else manager.pk
        count = rng.choice([1, 2, 2, 3, 3, 3, 4, 5, 6])
        messages = []
        for n in range(count):
            if n:
                from_client = not from_client if rng.random() < 0.85 else from_client
                at = min(
                    at + dt.timedelta(minutes=rng.randint(10, 4 * 24 * 60)),
                    now - dt.timedelta(minutes=n + 1),
                )
            author = client_user if from_client else manager.pk
            body = rng.choice(CLIENT_LINES if from_client else MANAGER_LINES)
            messages.append((author, from_client, at))
            self.w.add(Message, (thread_id, author, from_client, body, at))
        _last_author, last_from_client, last_at = messages[-1]
        self.w.add(
            Thread,
            (
                thread_id,
                client_id,
                rng.choice(THREAD_SUBJECTS),
                first_author,
                messages[0][2],
                last_at,
                last_from_client,
            ),
        )

        def seen_by(client_side: bool) -> dt.datetime:
            # A reader has seen everything up to their own last message; a reply after it
            # is read later or, for the newest ones, still unread.
            own = [m[2] for m in messages if m[1] == client_side]
            if messages[-1][1] == client_side or rng.random() < 0.7:
                return last_at
            return own[-1] if own else messages[0][2] - dt.timedelta(seconds=1)

        self.w.add(ThreadRead, (thread_id, client_user, seen_by(True)))
        self.w.add(ThreadRead, (thread_id, manager.pk, seen_by(False)))

    # --- billing's side --------------------------------------------------------------------
