"""The web site and the JSON APIs; `create_app` builds the app.

`create_app` is imported when first asked for, so that the command line can render the site's
shapes (healthqa.web.models) without loading the app and its routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from healthqa.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from healthqa.web.app import create_app

        return create_app
    raise AttributeError(f"module 'healthqa.web' has no attribute {name!r}")
