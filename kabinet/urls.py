"""URLs. Each cabinet is a namespace assembled from the apps' ``urls`` modules.

An app's ``urls.py`` may define any of:
  ``urlpatterns``          at the site root, no namespace (sign-in, password reset...)
  ``site_urlpatterns``     the public site, namespace ``site:`` (/services/, /pay/...)
  ``account_urlpatterns``  /account/, namespace ``account:`` (any signed-in user)
  ``cabinet_urlpatterns``  /cabinet/, namespace ``cabinet:`` (client users)
  ``manager_urlpatterns``  /manager/, namespace ``manager:`` (managers, administrators)
  ``help_urlpatterns``     /help/, namespace ``help:``
The access middleware guards every URL under its prefix (kabinet.accounts.access.AREAS).
"""

from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from kabinet.accounts import views as accounts_views
from kabinet.accounts import views_security as security_views
from kabinet.cms import views as cms_views
from kabinet.core import views as core_views

APPS = [
    "accounts",
    "notifications",
    "audit",
    "catalog",
    "subscriptions",
    "servicedesk",
    "cms",
    "helpcenter",
    "messaging",
    "payments",
    "exchange",
    "accounting",
    "forecast",
    "chatbot",
    "continuity",
    "numbers",
    "calls",
]


def collect(attribute: str) -> list:
    patterns: list = []
    for app in APPS:
        module = import_module(f"kabinet.{app}.urls")
        patterns.extend(getattr(module, attribute, []))
    return patterns


urlpatterns = [
    *collect("urlpatterns"),
    path("home/", accounts_views.home_redirect, name="home_redirect"),
    path("language/", core_views.switch_language, name="set_language"),
    path("language/<str:code>/", core_views.language_link, name="set_language_link"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include((collect("site_urlpatterns"), "site"))),
    path("account/", include((collect("account_urlpatterns"), "account"))),
    path("cabinet/", include((collect("cabinet_urlpatterns"), "cabinet"))),
    path("manager/", include((collect("manager_urlpatterns"), "manager"))),
    path("help/", include((collect("help_urlpatterns"), "help"))),
    # Wagtail's (admin and front-end) and Django admin's own sign-in pages would skip the
    # two-factor step and the sign-in throttling: closed, they send everyone to ours.
    path("editor/login/", security_views.closed_login),
    path("_util/login/", security_views.closed_login),
    path("django-admin/login/", security_views.closed_login),
    path("django-admin/password_change/", security_views.closed_password_change),
    path("editor/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("django-admin/", admin.site.urls),
    # Public CMS images only; private uploads (attachments, documents) go through views
    # that check who is asking.
    re_path(
        r"^media/(?P<path>(?:images|original_images)/.+)$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
    # Wagtail serves the public site's pages (cached for anonymous visitors): keep it last.
    *wagtail_urls.urlpatterns[:-1],
    re_path(r"^((?:[\w\-]+/)*)$", cms_views.serve, name="wagtail_serve"),
]

handler400 = "kabinet.core.views.error_400"
handler403 = "kabinet.accounts.views.error_403"
handler404 = "kabinet.core.views.error_404"
handler500 = "kabinet.core.views.error_500"
