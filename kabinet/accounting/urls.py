from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("invoices/", views_cabinet.invoices, name="invoices"),
    path("invoices/new/", views_cabinet.invoice_new, name="invoice_new"),
    path("invoices/<uuid:pk>/", views_cabinet.invoice_detail, name="invoice_detail"),
    path("invoices/<uuid:pk>/pdf/", views_cabinet.invoice_pdf, name="invoice_pdf"),
    path("invoices/<uuid:pk>/email/", views_cabinet.invoice_email, name="invoice_email"),
    path("invoices/<uuid:pk>/cancel/", views_cabinet.invoice_cancel, name="invoice_cancel"),
    path("statements/", views_cabinet.statements, name="statements"),
    path("statements/<uuid:pk>/", views_cabinet.statement_detail, name="statement_detail"),
    path("statements/<uuid:pk>/pdf/", views_cabinet.statement_pdf, name="statement_pdf"),
]

manager_urlpatterns = [
    path(
        "accounting/clients/<int:client_pk>/",
        views_manager.client_documents,
        name="client_documents",
    ),
    path("accounting/invoices/<uuid:pk>/pdf/", views_manager.invoice_pdf, name="invoice_pdf"),
    path("accounting/statements/<uuid:pk>/pdf/", views_manager.statement_pdf, name="statement_pdf"),
]
