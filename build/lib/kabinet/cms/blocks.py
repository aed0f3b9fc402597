from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText

from .sanitize import clean_html


class SafeRichTextBlock(blocks.RichTextBlock):
    """Rich text cleaned with nh3 whenever it is stored."""

    def get_prep_value(self, value: Any) -> Any:
        prepared = super().get_prep_value(value)
        return clean_html(prepared) if isinstance(prepared, str) else prepared

    def to_python(self, value: Any) -> RichText:
        return super().to_python(clean_html(value) if isinstance(value, str) else value)


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Button text"))
    url = blocks.CharBlock(
        label=_("Link"),
        help_text=_("A page address on this site such as /pay/, or a full https:// address"),
        validators=[],
    )

    class Meta:
        template = "cms/blocks/cta.html"
        icon = "link"
        label = _("Button")

    def clean(self, value: Any) -> Any:
        from django.core.exceptions import ValidationError

        value = super().clean(value)
        url = (value.get("url") or "").strip()
        if not (url.startswith("/") and not url.startswith("//")) and not url.startswith(
            "https://"
        ):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "url": ValidationError(
                        _("Use a site address starting with / or an https:// address.")
                    )
                }
            )
        return value


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"))
    answer = SafeRichTextBlock(label=_("Answer"), features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "help"
        label = _("Question and answer")


class FaqBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False)
    items = blocks.ListBlock(FaqItemBlock(), label=_("Questions"))

    class Meta:
        template = "cms/blocks/faq.html"
        icon = "help"
        label = _("FAQ")


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt = blocks.CharBlock(
        label=_("Alternative text"),
        help_text=_("What the image shows, for people who cannot see it."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False)

    class Meta:
        template = "cms/blocks/image.html"
        icon = "image"
        label = _("Image")


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Heading"), form_classname="title", template="cms/blocks/heading.html"
    )
    text = SafeRichTextBlock(label=_("Text"))
    image = ImageBlock()
    cta = CallToActionBlock()
    table = TableBlock(label=_("Table"), template="cms/blocks/table.html")
    faq = FaqBlock()
