from django.urls import path

from . import views

manager_urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
]
