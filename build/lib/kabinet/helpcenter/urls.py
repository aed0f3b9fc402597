from django.urls import path

from . import views

help_urlpatterns = [
    path("", views.help_home, name="home"),
    path("<str:cabinet>/", views.help_contents, name="index"),
    path("<str:cabinet>/search/", views.help_search, name="search"),
    path("<str:cabinet>/for-path/", views.help_for_path, name="for_path"),
    path("<str:cabinet>/screen/<str:screen>/", views.help_screen, name="screen"),
    path("<str:cabinet>/<slug:slug>/", views.help_article, name="article"),
]
