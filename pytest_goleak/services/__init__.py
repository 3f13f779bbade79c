"""Redis and PostgreSQL for scenarios that declare ``services:``.

One module per concern: ``providers`` (which way provides a service), ``local`` (private
servers from local binaries), ``docker`` (containers), ``service`` (the Service object, the
authenticated probes through redis-py and pg8000, and shared settings, PG_MAX_CONNECTIONS among
them).

A service is provided by the first of these that works, in this order:

1. **A URL you give**: ``GOLEAK_REDIS_URL`` / ``GOLEAK_POSTGRES_URL``. The plain ``REDIS_URL`` /
   ``DATABASE_URL`` are deliberately *not* read: in a developer's shell they usually point at a
   real database, and a leaky fixture opens hundreds of connections and writes keys.
2. **A private instance from local binaries** (``redis-server``; PostgreSQL's ``initdb`` and
   ``postgres``) on an ephemeral port of 127.0.0.1 (and of the Docker bridge's gateway, so bridge
   containers reach it), in a temporary directory that is removed on close. The service logs in
   as an unprivileged user with a random password: a PostgreSQL role that owns its database
   (SCRAM; the superuser cannot log in), a Redis ACL user without @admin and @dangerous.
   PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
   (else ``nobody``). Both servers get a parent-death signal, so they end with the Python process
   even when it is killed without running its cleanup.
3. **A Docker image already present** (``redis:*`` / ``postgres:*``), published on 127.0.0.1, on
   the run's engine connection. A pull is attempted with a short timeout, never assumed to work.
   The containers carry the plugin's ``pytest-goleak`` label and owner pid/host, so the next
   run's sweep removes those of a run that was SIGKILLed.
4. Otherwise :class:`ServiceUnavailable`, whose message says how to provide the service.

``Service.url`` is reachable at 127.0.0.1 (the host, a container on the host network);
``Service.bridge_url`` from a container on the default bridge, when it can be.
``Service.connections()`` is the server's own count of client connections (Redis
``connected_clients``; PostgreSQL ``pg_stat_activity`` rows for the service's database), minus
the probe's own connection. Every network call has a timeout.
"""

from __future__ import annotations

from .common import (
    APP_ENV,
    NAMES,
    PG_MAX_CONNECTIONS,
    PROBE_TIMEOUT,
    START_TIMEOUT,
    URL_ENV,
    Service,
    ServiceUnavailable,
)
from .providers import Services, provide

__all__ = ["APP_ENV", "NAMES", "PG_MAX_CONNECTIONS", "PROBE_TIMEOUT", "START_TIMEOUT", "URL_ENV", "Service",
           "ServiceUnavailable", "Services", "provide"]
