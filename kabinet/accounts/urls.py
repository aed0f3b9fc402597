from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from . import views, views_cabinet, views_manager, views_security


class StatusActionConverter:
    """Only the status actions, so other apps' pages under clients/<pk>/ (calls, numbers …)
    are not taken for one."""

    regex = "|".join(sorted(views_manager.STATUS_ACTIONS, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StatusActionConverter, "client_status_action")

# Public: signing in and out, password reset, invitations.
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views_security.login_code, name="login_code"),
    path("login/recovery/", views_security.login_recovery, name="login_recovery"),
    path("logout/", views.logout_view, name="logout"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

account_urlpatterns = [
    path("", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("two-factor/", views_security.twofactor_status, name="twofactor"),
    path("two-factor/setup/", views_security.twofactor_setup, name="twofactor_setup"),
    path(
        "two-factor/recovery-codes/",
        views_security.twofactor_recovery_codes,
        name="twofactor_recovery_codes",
    ),
    path("two-factor/turn-off/", views_security.twofactor_disable, name="twofactor_disable"),
    path("sessions/", views_security.session_list, name="sessions"),
    path("sessions/<int:pk>/end/", views_security.session_end, name="session_end"),
    path("sessions/end-others/", views_security.sessions_end_others, name="sessions_end_others"),
]

cabinet_urlpatterns = [
    path("", views_cabinet.home, name="home"),
    path("company/", views_cabinet.company, name="company"),
    path("company/users/<int:pk>/block/", views_cabinet.member_block, name="member_block"),
    path(
        "company/invitations/<int:pk>/revoke/",
        views_cabinet.invitation_revoke,
        name="invitation_revoke",
    ),
]

manager_urlpatterns = [
    path("", views_manager.dashboard, name="home"),
    path("clients/", views_manager.client_list, name="client_list"),
    path("clients/new/", views_manager.client_create, name="client_create"),
    path("clients/<int:pk>/", views_manager.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", views_manager.client_edit, name="client_edit"),
    path(
        "clients/<int:pk>/<client_status_action:action>/",
        views_manager.client_status,
        name="client_status",
    ),
    path("clients/<int:pk>/invite", views_manager.client_invite, name="client_invite"),
    path(
        "clients/<int:pk>/users/<int:user_pk>/two-factor-reset/",
        views_security.client_user_twofactor_reset,
        name="client_user_twofactor_reset",
    ),
]
