"""gunicorn settings for one Kabinet app server.

`gunicorn -c deploy/gunicorn.conf.py kabinet.wsgi`;

Every app server runs the same file; nothing here holds state another server needs.
"""

import multiprocessing
import os

bind = os.environ.get("KABINET_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and database-bound; two per core plus one.
workers = int(os.environ.get("KABINET_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
# Recycle workers now and then so a slow leak never grows.
max_requests = 5000
max_requests_jitter = 500
backlog = 2048
accesslog = "-"
errorlog = "-"
# nginx in front sets X-Forwarded-Proto; only trust it from the local proxy.
forwarded_allow_ips = os.environ.get("KABINET_TRUSTED_PROXIES", "127.0.0.1")
