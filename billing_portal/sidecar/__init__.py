"""The Flask sidecar: REST API over the materialized tables and the OpenMetrics endpoint; it only reads."""
