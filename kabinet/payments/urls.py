from django.urls import path

from . import views, views_cabinet, views_manager

site_urlpatterns = [
    path("pay/", views.pay, name="pay"),
    path("pay/recipient/", views.pay_recipient, name="pay_recipient"),
    path("pay/status/<uuid:pk>/", views.pay_status, name="pay_status"),
    path("pay/notify/", views.pay_notify, name="pay_notify"),
    path("pay/terminal/", views.pay_terminal, name="pay_terminal"),
    path("pay/osmp/", views.pay_osmp, name="pay_osmp"),
    path("pay/yookassa/notify/", views.pay_yookassa_notify, name="pay_yookassa_notify"),
]

cabinet_urlpatterns = [
    path("payments/", views_cabinet.payments, name="payments"),
    path("payments/<uuid:pk>/", views_cabinet.payment_receipt, name="payment_receipt"),
    path("pay/", views_cabinet.pay, name="pay"),
]

manager_urlpatterns = [
    path("payments/", views_manager.payments, name="payments"),
    path("payments/export.csv", views_manager.payments_export, name="payments_export"),
    path("payments/<uuid:pk>/", views_manager.payment_detail, name="payment_detail"),
    path("payments/<uuid:pk>/void/", views_manager.payment_void, name="payment_void"),
    path("payments/<uuid:pk>/refund/", views_manager.payment_refund, name="payment_refund"),
    path("payments/<uuid:pk>/flag/", views_manager.payment_flag_clear, name="payment_flag_clear"),
]
