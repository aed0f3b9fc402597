from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from .blocks import BodyBlock
from .sanitize import clean_html


class SeoMixin(models.Model):
    """Open Graph image on top of Wagtail's SEO title and search description."""

    og_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image for social networks"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    promote_panels = [
        MultiFieldPanel(
            [
                FieldPanel("slug"),
                FieldPanel("seo_title"),
                FieldPanel("search_description"),
                FieldPanel("og_image"),
            ],
            heading=_("Search engines and social networks"),
        ),
        FieldPanel("show_in_menus"),
    ]

    class Meta:
        abstract = True


class SanitisedPage(SeoMixin, Page):
    """Rich text fields of a page are cleaned with nh3 before they are stored."""

    rich_text_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def get_url_parts(self, request: Any = None) -> Any:
        """Absolute URLs (sitemap, canonical links, Open Graph) use ``KABINET_SITE_URL``.

        Kabinet serves one public site, and the address the world knows it by is a setting,
        not the Site record's host name (``localhost`` in a fresh install).
        """
        parts = super().get_url_parts(request)
        if parts is None or parts[1] is None:
            return parts
        site_id, _root_url, page_path = parts
        return site_id, settings.SITE_URL, page_path

    def full_clean(self, *args: Any, **kwargs: Any) -> None:
        for name in self.rich_text_fields:
            value = getattr(self, name)
            if value:
                setattr(self, name, clean_html(value))
        super().full_clean(*args, **kwargs)


class HomePage(SanitisedPage):
    """The site's front page."""

    lead: models.CharField = models.CharField(_("lead"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("lead"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("lead"), index.SearchField("body")]
    max_count_per_parent = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        news_index = NewsIndexPage.objects.live().child_of(self).first()
        context["latest_news"] = (
            NewsPage.objects.live().child_of(news_index).order_by("-date")[:3] if news_index else []
        )
        context["service_pages"] = (
            ServicePage.objects.live().descendant_of(self).select_related("service")[:6]
        )
        return context


class StandardPage(SanitisedPage):
    """About, contacts, legal texts."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    rich_text_fields = ("intro",)
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


class NewsIndexPage(SanitisedPage):
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    rich_text_fields = ("intro",)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.NewsPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("news list")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        items = (
            NewsPage.objects.live().child_of(self).order_by("-date", "-pk").select_related("image")
        )
        context["page_obj"] = Paginator(items, 10).get_page(request.GET.get("page"))
        return context


class NewsPage(SanitisedPage):
    date = models.DateField(_("date"), default=timezone.localdate)
    intro = models.CharField(_("summary"), max_length=300, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(_("image description"), max_length=200, blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt")], heading=_("Image")),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("news item")


class ServiceIndexPage(SanitisedPage):
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    rich_text_fields = ("intro",)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.ServicePage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("services list")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from kabinet.catalog.selectors import public_tariffs

        context = super().get_context(request, *args, **kwargs)
        pages = list(ServicePage.objects.live().child_of(self).select_related("service"))
        tariffs = list(public_tariffs().filter(service__in=[p.service_id for p in pages]))
        for page in pages:
            page.public_tariffs = [t for t in tariffs if t.service_id == page.service_id]
        context["service_pages"] = pages
        return context


class ServicePage(SanitisedPage):
    """A service's public page. Its prices are always read live from the catalog, and only
    public tariffs are shown, whatever the text says."""

    service = models.ForeignKey(
        "catalog.Service",
        verbose_name=_("catalog service"),
        on_delete=models.PROTECT,
        related_name="pages",
    )
    intro = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("description"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("service"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.ServiceIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("service page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from kabinet.catalog.selectors import public_tariffs

        context = super().get_context(request, *args, **kwargs)
        context["tariffs"] = list(public_tariffs().filter(service_id=self.service_id))
        return context


class MenuLocation(models.TextChoices):
    HEADER = "header", _("Header")
    FOOTER = "footer", _("Footer")


class Menu(TranslatableMixin, ClusterableModel):
    """The links in the site's header and footer, edited by editors, one per language."""

    location = models.CharField(_("where"), max_length=10, choices=MenuLocation.choices)

    panels = [FieldPanel("location"), InlinePanel("items", label=_("Links"))]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("menu")
        verbose_name_plural = _("menus")
        unique_together = [("translation_key", "locale"), ("location", "locale")]

    def __str__(self) -> str:
        return f"{self.get_location_display()} ({self.locale})"


class MenuItem(Orderable):
    menu = ParentalKey(Menu, on_delete=models.CASCADE, related_name="items")
    title = models.CharField(_("text"), max_length=100)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    url = models.CharField(
        _("or address"), max_length=300, blank=True, help_text=_("For example /pay/")
    )

    panels = [FieldPanel("title"), PageChooserPanel("page"), FieldPanel("url")]

    def __str__(self) -> str:
        return self.title

    @property
    def href(self) -> str:
        if self.page_id:
            return self.page.localized.url or "#"
        return self.url or "#"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.page_id and not self.url:
            raise ValidationError(_("Choose a page or write an address."))
        if self.url and not (self.url.startswith("/") or self.url.startswith("https://")):
            raise ValidationError(
                {"url": _("Use a site address starting with / or an https:// address.")}
            )


register_snippet(Menu)
