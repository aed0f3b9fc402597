from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("requests/", views_cabinet.request_list, name="requests"),
    path("requests/new/", views_cabinet.request_new, name="request_new"),
    path("requests/<int:pk>/", views_cabinet.request_detail, name="request_detail"),
    path("requests/<int:pk>/withdraw/", views_cabinet.request_withdraw, name="request_withdraw"),
]

manager_urlpatterns = [
    path("requests/", views_manager.request_queue, name="requests"),
    path("requests/<int:pk>/", views_manager.request_detail, name="request_detail"),
    path("requests/<int:pk>/<str:decision>/", views_manager.request_decide, name="request_decide"),
]
