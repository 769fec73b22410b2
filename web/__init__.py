"""The web app: server-rendered pages (FastAPI + Jinja2) and a JSON API over the same core."""
