from kabinet.core import appconfig


class CmsConfig(appconfig.KabinetAppConfig):
    name = "kabinet.cms"
    label = "cms"
    periodic_jobs = (("cms.publish_scheduled", "kabinet.cms.tasks.publish_scheduled_pages", 60),)
    demo_loader = "kabinet.cms.demo.seed_site"
    demo_order = 20
    roles_setup = "kabinet.cms.roles.page_permissions"

    def ready(self) -> None:
        # Cached public pages must change the moment content or prices do.
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import page_published, page_unpublished

        from kabinet.catalog.models import Service, Tariff, TariffOffer, TariffVersion
        from kabinet.core.pagecache import public_cache_bump

        from .models import Menu, MenuItem

        page_published.connect(public_cache_bump, dispatch_uid="cms_cache_published")
        page_unpublished.connect(public_cache_bump, dispatch_uid="cms_cache_unpublished")
        for model in (Service, Tariff, TariffVersion, TariffOffer, Menu, MenuItem):
            post_save.connect(
                public_cache_bump, sender=model, dispatch_uid=f"cms_cache_{model.__name__}"
            )
            post_delete.connect(
                public_cache_bump, sender=model, dispatch_uid=f"cms_cache_del_{model.__name__}"
            )
