"""Demo correspondence of client 100001 with its manager, and one notice. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from kabinet.accounts.models import Client, User

from .models import Message, MessageAttachment, Notice, Segment, Thread, ThreadRead

# A one-page PDF, enough for the browser's viewer to open.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def _thread(
    client: Client, subject: str, messages: list[tuple[User, bool, dt.datetime, str]]
) -> Thread | None:
    if Thread.objects.filter(client=client, subject=subject).exists():
        return None
    author, _from_client, first_at, _body = messages[0]
    thread = Thread.objects.create(
        client=client, subject=subject, created_by=author, created_at=first_at
    )
    for author, from_client, at, body in messages:
        Message.objects.create(
            thread=thread, author=author, from_client=from_client, body=body, created_at=at
        )
    _last_author, last_from_client, last_at, _ = messages[-1]
    thread.last_message_at = last_at
    thread.awaiting_reply = last_from_client
    thread.save(update_fields=["last_message_at", "awaiting_reply"])
    return thread


def seed_messaging() -> list[str]:
    client = Client.objects.get(contract_number="100001")
    users = {u.email: u for u in User.objects.filter(email__endswith="@kabinet.test")}
    petrov, volkova = users["client100001@kabinet.test"], users["manager@kabinet.test"]
    documents = _thread(
        client,
        "Закрывающие документы за октябрь",
        [
            (
                petrov,
                True,
                _ago(days=3, hours=5),
                "Добрый день! Бухгалтерия не может найти акт за октябрь. "
                "Пришлите, пожалуйста, скан.",
            ),
            (
                volkova,
                False,
                _ago(days=2, hours=22),
                "Алексей, добрый день! Прикладываю акт. Оригинал отправили почтой.",
            ),
            (petrov, True, _ago(hours=3), "Спасибо, получили. А счёт на ноябрь уже выставлен?"),
        ],
    )
    if documents is not None:
        reply = documents.messages.get(author=volkova)
        attachment = MessageAttachment(
            message=reply, name="Акт_октябрь.pdf", content_type="application/pdf", size=0
        )
        attachment.file.save("act.pdf", ContentFile(DEMO_PDF), save=False)
        attachment.size = len(DEMO_PDF)
        attachment.save()
        ThreadRead.objects.create(thread=documents, user=petrov, read_at=_ago(hours=3))
        ThreadRead.objects.create(thread=documents, user=volkova, read_at=_ago(days=2, hours=22))
    moving = _thread(
        client,
        "Переезд офиса в апреле",
        [
            (
                volkova,
                False,
                _ago(days=6),
                "Алексей, добрый день! Вы упоминали переезд. Подскажите новый адрес — "
                "проверим, можно ли сохранить номера.",
            ),
            (
                petrov,
                True,
                _ago(days=5, hours=20),
                "Лиговский проспект, 50, корпус 12. Переезжаем в середине апреля.",
            ),
            (
                volkova,
                False,
                _ago(days=1, hours=2),
                "Проверили: номера сохраним, переключение займёт около часа. "
                "За неделю до переезда подадите заявку — всё сделаем.",
            ),
        ],
    )
    if moving is not None:
        ThreadRead.objects.create(thread=moving, user=petrov, read_at=_ago(days=5, hours=20))
        ThreadRead.objects.create(thread=moving, user=volkova, read_at=_ago(days=1, hours=2))
    if not Notice.objects.exists():
        from .services import notice_send

        notice_send(
            actor=volkova,
            title="Плановые работы в ночь на воскресенье",
            body="В ночь с субботы на воскресенье с 02:00 до 04:00 возможны перерывы связи "
            "до 5 минут. Приносим извинения за неудобства.",
            segment=Segment.ALL,
        )
    return [f"Threads: {Thread.objects.count()}, notices: {Notice.objects.count()}"]
