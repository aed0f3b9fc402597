"""What makes every cabinet page cheaper must not change what it shows: the remembered
{% url %} answers and the layout fragments kept per process (issue #17)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Engine, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from kabinet.core.templatetags import url_memo
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_url_is_the_builtin_and_answers_as_reverse():
    url_memo.forget()
    template = (
        "{% url 'cabinet:home' %}|{% url 'manager:client_detail' 7 %}"
        "|{% url 'manager:client_detail' pk=8 %}"
    )
    first = render(template)
    assert first == "|".join(
        [
            reverse("cabinet:home"),
            reverse("manager:client_detail", args=[7]),
            reverse("manager:client_detail", kwargs={"pk": 8}),
        ]
    )
    assert render(template) == first  # the second time from memory
    assert len(url_memo._answers) == 3

    # Objects as arguments are not remembered (their text could change); results the same.
    class Pk:
        def __str__(self) -> str:
            return "9"

    assert render("{% url 'manager:client_detail' pk %}", pk=Pk()) == reverse(
        "manager:client_detail", args=[9]
    )
    assert len(url_memo._answers) == 3


def test_a_missing_name_fails_as_before_and_as_var_is_empty():
    url_memo.forget()
    with pytest.raises(NoReverseMatch):
        render("{% url 'cabinet:no_such_screen' %}")
    # Remembered as missing, and still an error the second time.
    with pytest.raises(NoReverseMatch):
        render("{% url 'cabinet:no_such_screen' %}")
    assert render("{% url 'cabinet:no_such_screen' as u %}[{{ u }}]") == "[]"


def test_a_changed_urlconf_forgets_the_answers():
    url_memo.forget()
    render("{% url 'cabinet:home' %}")
    assert url_memo._answers
    with override_settings(ROOT_URLCONF="kabinet.urls"):
        assert not url_memo._answers


def test_the_tag_escapes_like_djangos():
    engine = Engine(builtins=["kabinet.core.templatetags.url_memo"])
    out = Template("{% url 'manager:client_list' %}", engine=engine).render(Context())
    assert out == reverse("manager:client_list")


def nav(html: str) -> str:
    match = re.search(r'<aside class="sidebar".*?</aside>', html, re.S)
    assert match
    return match.group(0)


def test_the_kept_navigation_follows_screen_language_and_unread(as_client, client_user):
    home = nav(as_client.get("/cabinet/").content.decode())
    payments = nav(as_client.get("/cabinet/payments/").content.decode())
    assert re.search(r'href="/cabinet/"\s+aria-current="page"', home)
    assert 'aria-current="page">Balance and payments' in payments
    assert 'aria-current="page">Balance and payments' not in home
    assert "nav-badge" not in home
    notification_send(users=[client_user], category=Category.SYSTEM, title="Hello", email=False)
    again = nav(as_client.get("/cabinet/").content.decode())
    assert '<span class="nav-badge">1</span>' in again
    as_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = as_client.get("/cabinet/").content.decode()
    assert "Баланс и платежи" in nav(russian)
    assert "Профиль" in russian  # the account menu, kept per language


def test_the_manager_navigation_is_kept_per_role(as_manager, make_user):
    from kabinet.accounts.models import Role

    manager_nav = nav(as_manager.get("/manager/").content.decode())
    assert "Audit log" in manager_nav
    from kabinet.conftest import logged_in

    editor = logged_in(make_user("editor@test.example", Role.EDITOR))
    page = editor.get("/account/")
    assert page.status_code == 200
    editor_nav = nav(page.content.decode())
    assert "Audit log" not in editor_nav and "Site content" in editor_nav


def test_translate_is_kept_per_language_and_escaping():
    from django.utils import translation

    from kabinet.core.templatetags import i18n_memo

    i18n_memo.forget()
    source = (
        "{% load i18n %}{% translate 'Profile' %}|{% translate 'Profile' as p %}[{{ p }}]"
        "|{% translate 'Profile'|upper %}|{% translate 'Profile' context 'noun' %}"
    )
    with translation.override("en"):
        assert render(source) == "Profile|[Profile]|PROFILE|Profile"
    with translation.override("ru"):
        assert render(source) == "Профиль|[Профиль]|ПРОФИЛЬ|Profile"  # no "noun" entry
        assert render(source) == "Профиль|[Профиль]|ПРОФИЛЬ|Profile"  # no "noun" entry
    # Only constant texts are kept: filtered and contextual ones go through Django's node.
    assert {key[0] for key in i18n_memo._answers} == {"Profile"}
    assert {key[2] for key in i18n_memo._answers} == {"en", "ru"}
    # The same output as Django's own library, whatever the text and escaping.
    plain = Engine(libraries={"i18n": "django.templatetags.i18n"})
    for text in (
        "{% load i18n %}{% translate 'a < b' %}",
        "{% load i18n %}{% autoescape off %}{% translate 'a < b' %}{% endautoescape %}",
        "{% load i18n %}{% translate '100%% sure' %}",
        "{% load i18n %}{% translate 'Profile' noop %}",
    ):
        with translation.override("ru"):
            assert render(text) == Template(text, engine=plain).render(Context()), text


def test_only_i18n_is_a_library_name_given_twice():
    """templates.W003 is silenced for the one intended case (settings); any other tag
    library name given by two modules would be a mistake."""
    from django.core.checks.templates import check_templates

    warnings = [w for w in check_templates(None) if w.id == "templates.W003"]
    assert len(warnings) == 1 and "'i18n'" in warnings[0].msg


class EveryWidget(forms.Form):
    text = forms.CharField(
        max_length=5, widget=forms.TextInput(attrs={"placeholder": "x<y", "inputmode": "tel"})
    )
    choice = forms.ChoiceField(
        choices=[("1", "One & two"), ("Group", [("2", "Два"), ("3", "3")])], required=False
    )
    check = forms.BooleanField(required=False)
    several = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple
    )
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(widget=forms.Textarea)
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    upload = forms.FileField()
    moment = forms.SplitDateTimeField()
    hidden = forms.CharField(widget=forms.HiddenInput)


class OwnOption(forms.Select):
    option_template_name = "forms/test_option.html"


def test_widgets_render_the_same_markup_as_the_template_language():
    from django.forms.renderers import TemplatesSetting

    from kabinet.core.forms import KabinetFormRenderer

    class Plain(TemplatesSetting):
        form_template_name = "forms/form.html"
        field_template_name = "forms/field.html"

    data = {"text": 'v"', "choice": "2", "check": "on", "several": ["y"], "radio": "b"}
    for form in (EveryWidget(), EveryWidget(data)):
        assert form.render(renderer=KabinetFormRenderer()) == form.render(renderer=Plain())


def test_a_widget_with_its_own_option_template_keeps_the_template_language(tmp_path, settings):
    from kabinet.core.forms import KabinetFormRenderer

    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "test_option.html").write_text(
        "<option value={{ widget.value }}>{{ widget.label|upper }}</option>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    html = OwnOption(choices=[("a", "first")]).render("x", "a", renderer=KabinetFormRenderer())
    assert "<option value=a>FIRST</option>" in html
