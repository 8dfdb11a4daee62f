"""Webhooks through which HTTP carriers hand back delivery reports and replies."""
