import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import make_tar

from healthqa.ingest.inputs import Input, InputError, _TarHeader, expand, total_bytes


def names(items: list[Input | InputError]) -> list[str]:
    return [item.name.rsplit(":", 1)[-1] for item in items if isinstance(item, Input)]


def errors(items: list[Input | InputError]) -> list[InputError]:
    return [item for item in items if isinstance(item, InputError)]


def test_folder_yields_every_file_but_hidden_ones(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.md").write_text("x")
    (tmp_path / "two.md").write_text("y")
    (tmp_path / ".DS_Store").write_text("junk")
    found = list(expand(tmp_path))
    assert sorted(Path(n).name for n in names(found)) == ["one.md", "two.md"]


def test_archive_members_escaping_the_folder_are_refused_by_name(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "mixed.tar.gz",
        {"good/one.md": b"fine", "/etc/evil.md": b"bad", "../../up.md": b"bad", "ok.md": b"fine"},
    )
    found = []
    for item in expand(archive):  # a streamed member is readable while it is the current one
        found.append(item)
        if isinstance(item, Input):
            assert item.read(100) == b"fine"
    assert names(found) == ["good/one.md", "ok.md"]
    refused = errors(found)
    assert len(refused) == 2
    assert all(e.reason == "unsafe archive member" for e in refused)
    assert "absolute path" in refused[0].detail and "/etc/evil.md" in refused[0].name
    assert "'..'" in refused[1].detail
    assert not (tmp_path.parent / "up.md").exists()


def test_links_in_archives_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "links.tar"
    with tarfile.open(path, "w") as archive:
        link = tarfile.TarInfo("passwd.md")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
        data = tarfile.TarInfo("real.md")
        data.size = 4
        archive.addfile(data, io.BytesIO(b"real"))
    found = list(expand(path))
    assert names(found) == ["real.md"]
    assert errors(found)[0].detail == "is a link or device"


def test_zip_members_are_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "pages.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fine.txt", "hello")
        archive.writestr("../escape.txt", "nope")
    found = list(expand(path))
    assert names(found) == ["fine.txt"]
    assert errors(found)[0].reason == "unsafe archive member"


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_members_read_whole_in_every_compression(tmp_path: Path, mode: str) -> None:
    members = {"small.md": b"small", "big.jsonl": b"x" * 300_000, "empty.md": b""}
    archive = make_tar(tmp_path / f"a.tar{mode[2:] and '.' + mode[2:]}", members, mode)
    found = {}
    for item in expand(archive, keep=100_000):  # the big one is read as it streams
        assert isinstance(item, Input)
        assert item.head(2) == members[item.path][:2]  # opened twice: detection, then reading
        found[item.path] = item.read(1_000_000)
    assert found == members


@pytest.mark.parametrize("format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_tar_headers_decode_as_tarfile_decodes_them(tmp_path: Path, format: int) -> None:
    path = tmp_path / "all.tar"
    long = "deep/" * 25 + "name.md"  # over 100 characters: a prefix, a GNU or a pax name
    with tarfile.open(path, "w", format=format) as archive:
        for name, kind, extra in [
            ("plain.md", tarfile.REGTYPE, {}),
            ("folder", tarfile.DIRTYPE, {}),
            (long, tarfile.REGTYPE, {"uid": 7, "uname": "ann", "mtime": 1_700_000_000}),
            ("link.md", tarfile.SYMTYPE, {"linkname": "plain.md"}),
            ("caf\u00e9.md" if format != tarfile.USTAR_FORMAT else "cafe.md", tarfile.REGTYPE, {}),
            ("big-id.md", tarfile.REGTYPE, {"uid": 8**8} if format != tarfile.USTAR_FORMAT else {}),
        ]:
            info = tarfile.TarInfo(name)
            info.type, info.size = kind, 3 if kind == tarfile.REGTYPE else 0
            for key, value in extra.items():
                setattr(info, key, value)
            archive.addfile(info, io.BytesIO(b"abc") if info.size else None)

    def headers(tarinfo: type[tarfile.TarInfo]) -> list[dict[str, object]]:
        with tarfile.open(path, "r|", tarinfo=tarinfo) as archive:
            return [{**member.get_info(), "offset": member.offset_data} for member in archive]

    assert headers(_TarHeader) == headers(tarfile.TarInfo)
    first = _TarHeader._plain(path.read_bytes()[:512], "utf-8", "surrogateescape")
    assert first.name == "plain.md"  # decoded here, not left to tarfile


def test_a_broken_archive_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "broken.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    found = list(expand(path))
    assert [e.reason for e in errors(found)] == ["broken archive"]


def test_oversized_document_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with open(huge, "wb") as out:
        out.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    item = next(expand(huge))
    assert isinstance(item, Input)
    with pytest.raises(InputError) as refused:
        item.read(20_000_000)
    assert refused.value.reason == "too large"
    assert "104,857,600 bytes" in refused.value.detail


def test_missing_path_is_reported() -> None:
    assert [e.reason for e in errors(list(expand("/no/such/file.xml")))] == ["not found"]


def test_progress_counts_bytes_read_from_disk(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tar.gz", {f"f{i}.md": os.urandom(5000) for i in range(5)})
    seen: list[int] = []
    for item in expand(archive, seen.append):
        if isinstance(item, Input):
            item.read(10_000)
    assert sum(seen) == total_bytes(archive) == archive.stat().st_size


def test_input_names_its_file_suffix_and_folder() -> None:
    item = Input("/x/a.tar.gz:MedQuAD/1_Q/0001_2.xml", 0, io.BytesIO, "MedQuAD/1_Q/0001_2.xml")
    assert (item.filename, item.suffix, item.stem, item.folder) == (
        "0001_2.xml",
        ".xml",
        "0001_2",
        "1_Q",
    )


def test_a_streamed_tar_member_is_read_again_from_its_start_without_being_kept(
    tmp_path: Path,
) -> None:
    """Detection reads the head, the reader then the whole, but only `keep` bytes stay held."""
    lines = b"".join(b'{"_id": "%d", "title": "Q?", "text": "A."}\n' % i for i in range(5000))
    archive = make_tar(tmp_path / "c.tar.gz", {"corpus.jsonl": lines})
    members = expand(archive, keep=10_000)
    member = next(members)  # read while it is the archive's current member, as importing does
    assert isinstance(member, Input)
    assert member.head(100) == lines[:100]
    with member.open() as stream:
        assert stream.read() == lines  # from the first byte again, to the end
    with pytest.raises(OSError, match="read already"):
        member.open()  # its 200 KB were streamed through, not kept
    assert list(members) == []
