from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("requests/", views_cabinet.request_list, name="requests"),
    path("requests/new/", views_cabinet.request_new, name="request_new"),
    path("requests/<int:pk>/", views_cabinet.request_detail, name="request_detail"),
    path("requests/<int:pk>/withdraw/", views_cabinet.request_withdraw, name="request_withdraw"),
    path(
        "requests/<int:pk>/files/<int:file_pk>/",
        views_cabinet.request_attachment,
        name="request_attachment",
    ),
]

manager_urlpatterns = [
    path("requests/", views_manager.request_queue, name="requests"),
    path("requests/bulk/", views_manager.request_bulk, name="request_bulk"),
    path("requests/<int:pk>/", views_manager.request_detail, name="request_detail"),
    path("requests/<int:pk>/assign/", views_manager.request_assign, name="request_assign"),
    path(
        "requests/<int:pk>/files/<int:file_pk>/",
        views_manager.request_attachment,
        name="request_attachment",
    ),
    path("requests/<int:pk>/<str:decision>/", views_manager.request_decide, name="request_decide"),
    path("rules/", views_manager.rule_list, name="rules"),
    path("rules/new/", views_manager.rule_new, name="rule_new"),
    path("rules/<int:pk>/", views_manager.rule_detail, name="rule_detail"),
    path("rules/<int:pk>/test/", views_manager.rule_test, name="rule_test"),
    path("rules/<int:pk>/toggle/", views_manager.rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/move/", views_manager.rule_move, name="rule_move"),
    path("rules/<int:pk>/delete/", views_manager.rule_delete, name="rule_delete"),
]
