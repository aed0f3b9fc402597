from wagtail import hooks

from kabinet.core.pagecache import public_cache_bump


@hooks.register("after_delete_page")
def _after_delete(request, page):  # type: ignore[no-untyped-def]
    public_cache_bump()


@hooks.register("after_move_page")
def _after_move(request, page):  # type: ignore[no-untyped-def]
    public_cache_bump()
