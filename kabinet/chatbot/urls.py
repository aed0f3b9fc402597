from django.urls import path

from . import views

site_urlpatterns = [
    path("telegram/webhook/", views.webhook, name="telegram_webhook"),
]
