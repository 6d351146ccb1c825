import pytest

from healthqa.ingest.encodings import decode, decode_unmarked, head_text, mark


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_a_byte_order_mark_names_the_encoding_and_is_removed(codec: str) -> None:
    data = "---\ntitle: Où?\n".encode(codec)
    assert mark(data) is not None
    assert decode(data) == "---\ntitle: Où?\n"


def test_unmarked_bytes_are_utf8_else_windows_1252_else_latin1() -> None:
    assert decode_unmarked("crème".encode()) == "crème"
    assert decode(b"cr\xe8me \x93quoted\x94") == "crème \u201cquoted\u201d"
    assert decode(b"\x81") == "\x81"  # unassigned in 1252: ISO-8859-1
    assert mark(b"plain") is None


def test_damaged_utf8_is_refused_not_garbled_as_windows_1252() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_unmarked("crème".encode() + b" \xff")  # "crÃ¨me" if read as 1252


def test_a_mark_on_bytes_that_do_not_follow_it_is_an_error() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode(b"\xff\xfe\x00\xd8")  # UTF-16-LE mark, then a lone surrogate


def test_the_head_of_an_xml_file_is_read_in_its_encoding() -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?><Document>'
    assert "<Document" in head_text(xml.encode("utf-16"))  # with a mark
    assert "<Document" in head_text(xml.encode("utf-16-le"))  # without
    assert "<Document" in head_text(xml.encode("utf-16-be"))
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><doc>caf\xe9'.encode("latin-1")
    assert head_text(latin).endswith("<doc>café")
    assert head_text("<doc>é".encode()[:-1]) == "<doc>"  # cut inside a character


def test_the_head_of_damaged_utf8_is_read_without_raising() -> None:
    assert head_text('{"_id": "crème'.encode() + b"\xff") == '{"_id": "crème'
