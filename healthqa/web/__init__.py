"""healthqa's web app: HTML pages and the JSON API over the same library."""
