from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from kabinet.accounts import urls as accounts_urls
from kabinet.audit import urls as audit_urls
from kabinet.core import views as core_views
from kabinet.notifications import urls as notifications_urls

# Each cabinet is a URL namespace built from the apps' thin views; the access middleware
# guards every URL under its prefix (kabinet.core.access.AREAS).
account_patterns = [
    *accounts_urls.account_urlpatterns,
    *notifications_urls.account_urlpatterns,
]
cabinet_patterns = [
    *accounts_urls.cabinet_urlpatterns,
]
manager_patterns = [
    *accounts_urls.manager_urlpatterns,
    *audit_urls.manager_urlpatterns,
]

urlpatterns = [
    path("", include(accounts_urls.urlpatterns)),
    path("home/", core_views.home_redirect, name="home_redirect"),
    path("language/", core_views.switch_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("account/", include((account_patterns, "account"))),
    path("cabinet/", include((cabinet_patterns, "cabinet"))),
    path("manager/", include((manager_patterns, "manager"))),
    path("editor/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("django-admin/", admin.site.urls),
]

# Public CMS images only; private uploads (attachments, documents) go through access checks.
urlpatterns += [
    re_path(
        r"^media/(?P<path>(?:images|original_images)/.+)$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]

# Wagtail serves the public site's pages: keep it last.
urlpatterns += [path("", include(wagtail_urls))]

handler400 = "kabinet.core.views.error_400"
handler403 = "kabinet.core.views.error_403"
handler404 = "kabinet.core.views.error_404"
handler500 = "kabinet.core.views.error_500"
