"""The baseline of `make bench`: a bare Django view (no apps, no middleware, no database),
served by the same gunicorn command as Kabinet, so every figure is a ratio to it."""

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-view",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_I18N=False,
    )

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain")


urlpatterns = [path("", bare)]

application = get_wsgi_application()
