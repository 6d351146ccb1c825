"""The web site and the read-only JSON API; `create_app` builds the app."""

from healthqa.web.app import create_app

__all__ = ["create_app"]
