from healthqa.web.caching import cache_control, etag, matches


def test_etags_follow_the_body() -> None:
    assert etag(b"a") == etag(b"a") != etag(b"b")
    assert etag(b"a").startswith('"') and etag(b"a").endswith('"')


def test_if_none_match_forms() -> None:
    tag = etag(b"page")
    assert matches(tag, tag)
    assert matches(f'"x", W/{tag}', tag)
    assert matches("*", tag)
    assert not matches(None, tag) and not matches('"x"', tag)


def test_static_files_are_cached_longer() -> None:
    assert cache_control("/static/site.css") == "public, max-age=86400"
    assert cache_control("/api/v1/stats") == "public, max-age=60"
