"""The categories of calls the operators agreed on, and the first consent text."""

import datetime as dt

from django.db import migrations

# The first consent dates from when call labelling became law (1 September 2025).
FIRST_CONSENT_AT = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)

CATEGORIES = [
    ("bank", "Банк", "Bank"),
    ("delivery", "Доставка", "Delivery"),
    ("services", "Услуги", "Services"),
    ("telecom", "Связь", "Telecom"),
    ("advertising", "Реклама", "Advertising"),
    ("real-estate", "Недвижимость", "Real estate"),
    ("medicine", "Медицина", "Medicine"),
    ("education", "Образование", "Education"),
    ("government", "Государственные органы", "Government"),
    ("other", "Другое", "Other"),
]

CONSENT_RU = (
    "Клиент даёт согласие оператору связи на передачу другим операторам связи, в том числе "
    "операторам подвижной радиотелефонной связи, сведений о клиенте, указанных в настоящем "
    "заявлении (наименование, коммерческое обозначение, категория звонков, текст для "
    "отображения и номера телефонов), для отображения их вызываемым абонентам при звонках "
    "с указанных номеров. Клиент подтверждает, что сведения достоверны, и обязуется "
    "сообщать об их изменении. Согласие действует до его отзыва в личном кабинете."
)
CONSENT_EN = (
    "The client agrees that the operator passes to other operators, including mobile "
    "operators, the client's data given in this application (legal name, commercial "
    "designation, category of calls, display text and phone numbers), so that they are shown "
    "to the called persons on calls from these numbers. The client confirms the data are "
    "true and undertakes to report any change. The consent holds until it is withdrawn in "
    "the cabinet."
)


def seed(apps, schema_editor):
    seed_with(apps.get_model("numbers", "CallCategory"), apps.get_model("numbers", "ConsentText"))


def seed_with(CallCategory, ConsentText):  # noqa: N803 - model classes
    """Also run by the demo loader: a test database flushed between tests loses this data."""
    for position, (code, name, name_en) in enumerate(CATEGORIES, start=1):
        CallCategory.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": position * 10}
        )
    if not ConsentText.objects.exists():
        ConsentText.objects.create(
            version=1, text=CONSENT_RU, text_en=CONSENT_EN, created_at=FIRST_CONSENT_AT
        )


class Migration(migrations.Migration):
    dependencies = [("numbers", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
