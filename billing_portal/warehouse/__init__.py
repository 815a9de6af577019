"""The PostgreSQL warehouse: embedded server, connections, migrations, COPY and atomic day replacement."""

from billing_portal.warehouse.connection import connect, resolve_database_url

__all__ = ["connect", "resolve_database_url"]
