from kabinet.core import appconfig


class CoreConfig(appconfig.KabinetAppConfig):
    name = "kabinet.core"
    label = "core"
    periodic_jobs = (
        # /healthz reads the time this task last ran: a worker that runs nothing shows stale.
        ("core.worker_heartbeat", "kabinet.core.tasks.worker_heartbeat", 60),
        ("core.prune_ratelimits", "kabinet.core.tasks.prune_ratelimit_buckets", 3600),
        ("core.reap_lost_tasks", "kabinet.core.tasks.reap_lost_tasks", 60),
    )
