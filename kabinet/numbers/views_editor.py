"""The consent text of call labelling in the editor cabinet (Wagtail admin): its versions,
and a form that publishes a new one. Versions are never edited: an edit is a new version,
and applications keep the version their signer agreed to."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest

from . import services
from .forms import ConsentForm
from .models import ConsentText

# Given to the editors' group by ``roles.editor_permissions`` (setup_roles).
PUBLISH_CONSENT = "numbers.add_consenttext"


def publish_from_form(request: AuthedHttpRequest, form: ConsentForm) -> bool:
    """Publish the posted consent text as a new version (the editors' screen and the
    managers'); False, with the reason on the form, when nothing was published."""
    if not form.is_valid():
        return False
    try:
        new = services.consent_publish(
            actor=request.user,
            text=form.cleaned_data["text"],
            text_en=form.cleaned_data["text_en"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    messages.success(
        request,
        _("Version %(v)s of the consent text is in force for new applications.")
        % {"v": new.version},
    )
    return True


@require_http_methods(["GET", "POST"])
def consent_texts(request: AuthedHttpRequest) -> HttpResponse:
    if not request.user.has_perm(PUBLISH_CONSENT):
        raise PermissionDenied
    current = services.consent_current()
    form = ConsentForm(
        request.POST or None,
        initial={"text": current.text, "text_en": current.text_en} if current else None,
    )
    status = 200
    if request.method == "POST":
        if publish_from_form(request, form):
            return HttpResponseRedirect(reverse("numbers_consent_texts"))
        status = 400
    return render(
        request,
        "numbers/editor/consent_texts.html",
        {
            "page_title": _("Call-labelling consent"),
            "header_icon": "doc-full",
            "form": form,
            "current": current,
            "versions": ConsentText.objects.select_related("created_by"),
        },
        status=status,
    )
