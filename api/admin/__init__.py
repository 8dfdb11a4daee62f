"""The operators' admin API under /admin/v1/: the review queue and word lists, applications' sending policy,
allowlist and emergency disable, accounts' blocklists and alarms, callbacks, message records, statistics and
billing. JSON in and out, a bearer token on every route. common.py holds what every resource shares, one module
per resource holds its handlers, and routes.py is the one route table (setup_admin); openapi.yaml documents it."""
