"""RoleLens HTTP service: schemas, routes, settings and dependencies; no model logic."""
