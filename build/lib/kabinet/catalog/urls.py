from django.urls import path

from . import views_manager, views_site

site_urlpatterns = [
    path("tariffs/", views_site.tariffs_page, name="tariffs"),
]

manager_urlpatterns = [
    path("services/", views_manager.service_list, name="services"),
    path("services/new/", views_manager.service_edit, name="service_create"),
    path("services/<int:pk>/", views_manager.service_detail, name="service_detail"),
    path("services/<int:pk>/edit/", views_manager.service_edit, name="service_edit"),
    path(
        "services/<int:service_pk>/parameters/new/",
        views_manager.parameter_edit,
        name="service_parameter_create",
    ),
    path(
        "services/<int:service_pk>/parameters/<int:pk>/",
        views_manager.parameter_edit,
        name="service_parameter_edit",
    ),
    path("tariffs/", views_manager.tariff_list, name="tariffs"),
    path("tariffs/new/", views_manager.tariff_create, name="tariff_create"),
    path("tariffs/<int:pk>/", views_manager.tariff_detail, name="tariff_detail"),
    path("tariffs/<int:pk>/edit/", views_manager.tariff_edit, name="tariff_edit"),
    path("tariffs/<int:pk>/prices/", views_manager.tariff_prices, name="tariff_prices"),
    path("tariffs/<int:pk>/offers/", views_manager.tariff_offers, name="tariff_offers"),
    path("tariffs/<int:pk>/move/", views_manager.tariff_move, name="tariff_move"),
    path("tariffs/<int:pk>/delete/", views_manager.tariff_delete, name="tariff_delete"),
]
