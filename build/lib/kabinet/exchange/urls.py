from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("billing/", views_cabinet.billing, name="billing"),
    path(
        "billing/documents/<int:pk>/pdf/",
        views_cabinet.document_pdf,
        name="document_pdf",
    ),
]

manager_urlpatterns = [
    path("exchange/", views_manager.exchange, name="exchange"),
    path("exchange/export/", views_manager.export, name="exchange_export"),
    path("exchange/import/", views_manager.upload, name="exchange_import"),
    path("exchange/packages/<int:pk>/", views_manager.package_detail, name="exchange_package"),
    path(
        "exchange/packages/<int:pk>/download/",
        views_manager.package_download,
        name="exchange_download",
    ),
    path(
        "exchange/clients/<int:client_pk>/",
        views_manager.reconciliation,
        name="exchange_reconciliation",
    ),
    path(
        "exchange/documents/<int:pk>/pdf/",
        views_manager.document_pdf,
        name="exchange_document_pdf",
    ),
]
