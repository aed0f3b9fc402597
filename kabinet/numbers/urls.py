from django.urls import path

from . import views_cabinet, views_manager

cabinet_urlpatterns = [
    path("numbers/", views_cabinet.numbers, name="numbers"),
    path("call-labelling/", views_cabinet.call_label, name="call_label"),
    path("call-labelling/apply/", views_cabinet.call_label_apply, name="call_label_apply"),
    path("call-labelling/withdraw/", views_cabinet.call_label_withdraw, name="call_label_withdraw"),
    path("call-labelling/<int:pk>/pdf/", views_cabinet.call_label_pdf, name="call_label_pdf"),
]

manager_urlpatterns = [
    path("call-labelling/", views_manager.queue, name="call_labels"),
    path("call-labelling/settings/", views_manager.categories, name="call_label_settings"),
    path(
        "call-labelling/categories/<int:pk>/toggle/",
        views_manager.category_toggle,
        name="call_label_category_toggle",
    ),
    path("call-labelling/consent/", views_manager.consent, name="call_label_consent"),
    path("call-labelling/<int:pk>/", views_manager.detail, name="call_label_detail"),
    path("call-labelling/<int:pk>/approve/", views_manager.approve, name="call_label_approve"),
    path("call-labelling/<int:pk>/decline/", views_manager.decline, name="call_label_decline"),
    path("call-labelling/<int:pk>/pdf/", views_manager.pdf, name="call_label_pdf"),
    path("numbers/clients/<int:pk>/", views_manager.client_numbers, name="client_numbers"),
]
