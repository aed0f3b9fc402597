from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("promised-payment/", views_cabinet.promised_payment, name="promised_payment"),
    path("auto-invoices/", views_cabinet.auto_invoices, name="auto_invoices"),
    path("autopay/", views_cabinet.autopay, name="autopay"),
    path("autopay/off/", views_cabinet.autopay_off, name="autopay_off"),
]

manager_urlpatterns = [
    path("promised-payments/", views_manager.credits, name="credits"),
    path("promised-payments/<uuid:pk>/revoke/", views_manager.credit_revoke, name="credit_revoke"),
    path("promised-payments/rules/", views_manager.rules, name="credit_rules"),
    path("promised-payments/bars/", views_manager.bar_add, name="credit_bar_add"),
    path("promised-payments/bars/<int:pk>/lift/", views_manager.bar_lift, name="credit_bar_lift"),
]
