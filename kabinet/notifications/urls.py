from django.urls import path

from . import views, views_manager

account_urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path(
        "notifications/settings/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/phone/", views.phone_start, name="phone_start"),
    path("notifications/phone/confirm/", views.phone_confirm, name="phone_confirm"),
    path("notifications/phone/remove/", views.phone_remove, name="phone_remove"),
    path("notifications/telegram/link/", views.telegram_link, name="telegram_link"),
    path("notifications/telegram/unlink/", views.telegram_unlink, name="telegram_unlink"),
]

manager_urlpatterns = [
    path("deliveries/", views_manager.deliveries, name="deliveries"),
]
