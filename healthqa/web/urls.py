"""The site's addresses: each page's path, and the public address absolute links start from.

Pages, the JSON API, the sitemap and robots.txt all take the public address from `base_url`,
so a site behind a proxy names itself by its `site_url` setting everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthqa.articles import article_path

if TYPE_CHECKING:
    from fastapi import Request

article_url = article_path


def topic_url(slug: str) -> str:
    return f"/topics/{slug}"


def base_url(request: Request) -> str:
    """The site's public address: the `site_url` setting, else the address asked for."""
    configured: str = request.app.state.site.library.settings.get("site_url", "")
    return configured.rstrip("/") or str(request.base_url).rstrip("/")


def canonical(request: Request, path: str) -> str:
    """The absolute address of the page at `path` ("/articles/x"), as search engines get it."""
    return base_url(request) + path
