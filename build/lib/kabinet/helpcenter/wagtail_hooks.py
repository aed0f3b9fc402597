from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("insert_global_admin_js")
def help_link_js() -> str:
    return format_html('<script src="{}" defer></script>', static("helpcenter/admin-help.js"))


@hooks.register("insert_global_admin_css")
def help_link_css() -> str:
    return format_html('<link rel="stylesheet" href="{}">', static("kabinet/css/admin-help.css"))


@hooks.register("register_admin_menu_item")
def help_menu_item() -> MenuItem:
    return MenuItem(_("Help"), "/help/editor/", icon_name="help", order=10000)
