from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("services/", views_cabinet.services, name="services"),
    path("services/<int:pk>/", views_cabinet.subscription_detail, name="subscription_detail"),
    path("services/<int:pk>/tariff/", views_cabinet.change_tariff, name="subscription_tariff"),
    path("services/<int:pk>/disconnect/", views_cabinet.disconnect, name="subscription_disconnect"),
    path("services/connect/<int:tariff_pk>/", views_cabinet.connect, name="service_connect"),
]

manager_urlpatterns = [
    path(
        "clients/<int:client_pk>/services/new/",
        views_manager.subscription_create,
        name="subscription_create",
    ),
    path("subscriptions/<int:pk>/", views_manager.subscription_detail, name="subscription_detail"),
    path(
        "subscriptions/<int:pk>/tariff/",
        views_manager.subscription_tariff,
        name="subscription_tariff",
    ),
    path(
        "subscriptions/<int:pk>/status/",
        views_manager.subscription_status,
        name="subscription_status",
    ),
]
