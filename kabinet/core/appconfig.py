"""The base every Kabinet app's config derives from, and how core reads what apps declare.

Core runs the machinery (the scheduler, /healthz) and the demo app runs ``seed_demo``, but
neither knows the domain apps: an app contributes its periodic jobs, health checks and demo
loader by naming them on its config, and they are collected with :func:`contributions`.
Adding an app never means editing core.

An app's apps.py imports this module, not the class: Django picks an apps.py's config
automatically only when the module holds exactly one AppConfig subclass.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import AppConfig, apps


class KabinetAppConfig(AppConfig):
    # (name, dotted path of a django_tasks Task, every N seconds): queued by run_scheduler.
    periodic_jobs: tuple[tuple[str, str, int], ...] = ()
    # Dotted paths of functions returning a core.health.Check or a list of them (/healthz).
    health_checks: tuple[str, ...] = ()
    # Dotted path of a function taking nothing and returning summary lines (seed_demo), and
    # where it runs among the apps' loaders (lower first: a loader may use earlier ones' data).
    demo_loader: str = ""
    demo_order: int = 100
    # Dotted path of a function taking the staff groups by name (accounts' ``roles_setup``):
    # the permissions this app's screens need.
    roles_setup: str = ""


def contributions(attribute: str) -> Iterator[tuple[KabinetAppConfig, object]]:
    """Each installed Kabinet app's value of ``attribute``, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        if isinstance(config, KabinetAppConfig):
            yield config, getattr(config, attribute)
