"""Routers, one per area of work; each serves its pages and its JSON API over the same core."""
