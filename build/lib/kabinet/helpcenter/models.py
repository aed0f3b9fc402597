from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, PageChooserPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from kabinet.cms.blocks import BodyBlock


class Cabinet(models.TextChoices):
    CLIENT = "client", _("Client cabinet")
    MANAGER = "manager", _("Manager cabinet")
    EDITOR = "editor", _("Editor cabinet")


class HelpIndexPage(Page):
    """The help of one cabinet. It lives outside the public site's tree, so the site never
    serves it; the help views show it to the people that cabinet is for."""

    cabinet = models.CharField(_("cabinet"), max_length=10, choices=Cabinet.choices)
    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("cabinet"), FieldPanel("intro")]
    subpage_types = ["helpcenter.HelpArticlePage"]
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("help of a cabinet")

    def __str__(self) -> str:
        return self.title


class HelpArticlePage(Page):
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("text"))
    screens = models.TextField(
        _("screens"),
        blank=True,
        help_text=_(
            "The screens this article explains, by URL name, one per line "
            "(for example cabinet:home). The “?” link of each screen opens it."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("screens"),
        InlinePanel("see_also", label=_("See also")),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("locale_id"),
        index.FilterField("path"),
    ]
    parent_page_types = ["helpcenter.HelpIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("help article")

    def __str__(self) -> str:
        return self.title

    @property
    def screen_names(self) -> list[str]:
        return [line.strip() for line in self.screens.splitlines() if line.strip()]


class SeeAlso(Orderable):
    article = ParentalKey(HelpArticlePage, on_delete=models.CASCADE, related_name="see_also")
    target = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("article"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("target", "helpcenter.HelpArticlePage")]

    def __str__(self) -> str:
        return str(self.target)
