from django.urls import path

from . import views_cabinet

cabinet_urlpatterns = [
    path("balance-alerts/", views_cabinet.balance_alerts, name="balance_alerts"),
]
