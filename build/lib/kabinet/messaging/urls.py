from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("messages/", views_cabinet.thread_list, name="threads"),
    path("messages/new/", views_cabinet.thread_new, name="thread_new"),
    path("messages/<int:pk>/", views_cabinet.thread_detail, name="thread_detail"),
    path("messages/files/<int:pk>/", views_cabinet.attachment_download, name="message_attachment"),
]

manager_urlpatterns = [
    path("messages/", views_manager.thread_list, name="threads"),
    path("messages/new/", views_manager.thread_new, name="thread_new"),
    path("messages/<int:pk>/", views_manager.thread_detail, name="thread_detail"),
    path("messages/files/<int:pk>/", views_manager.attachment_download, name="message_attachment"),
    path("notices/", views_manager.notice_list, name="notices"),
    path("notices/new/", views_manager.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views_manager.notice_detail, name="notice_detail"),
]
