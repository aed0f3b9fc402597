from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("calls/", views_cabinet.calls, name="calls"),
    path("calls/export.csv", views_cabinet.calls_csv, name="calls_csv"),
    path("calls/export.xlsx", views_cabinet.calls_xlsx, name="calls_xlsx"),
]

manager_urlpatterns = [
    path("clients/<int:pk>/calls/", views_manager.client_calls, name="client_calls"),
    path(
        "clients/<int:pk>/calls/export.csv",
        views_manager.client_calls_csv,
        name="client_calls_csv",
    ),
    path(
        "clients/<int:pk>/calls/export.xlsx",
        views_manager.client_calls_xlsx,
        name="client_calls_xlsx",
    ),
]
