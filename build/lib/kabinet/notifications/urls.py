from django.urls import path

from . import views

account_urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path(
        "notifications/settings/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
