"""Named byte streams to import: plain files, every file below a folder, members of an archive.

Archives are read in memory, member by member; nothing is ever extracted to disk, and a member
whose name is absolute, climbs out with `..`, or is a link or device is refused by name.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Any, Self

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz", ".zip")
# What reading a truncated or corrupt archive (or a member of it) raises; zipfile raises
# RuntimeError for an encrypted member and NotImplementedError (a RuntimeError) for an unknown
# compression method.
ARCHIVE_ERRORS = (
    tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError,
    RuntimeError,
)  # fmt: skip
KEEP_BYTES = 8 * 1024 * 1024  # the default of `expand`'s `keep`


class InputError(Exception):
    """An input that cannot be read as a whole (missing, unsafe, too large)."""

    def __init__(self, name: str, reason: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.reason = reason
        self.detail = detail


@dataclass
class Input:
    """One named document to import: a file, or a member of an archive."""

    name: str
    size: int
    opener: Callable[[], IO[bytes]]
    path: str = ""  # the document's own path: the file's, or the member's inside its archive

    @property
    def filename(self) -> str:
        """The last part of the path: "0000001_1.xml" for "MedQuAD/1_CancerGov_QA/0000001_1.xml"."""
        return posixpath.basename(self.path or self.name)

    @property
    def folder(self) -> str:
        """The name of the folder holding the document ("liveqa-med-dev" for its corpus.jsonl)."""
        return posixpath.basename(posixpath.dirname(self.path or self.name))

    @property
    def suffix(self) -> str:
        name = self.filename
        return name[name.rfind(".") :].lower() if "." in name else ""

    @property
    def stem(self) -> str:
        name = self.filename
        return name[: name.rfind(".")] if "." in name else name

    def open(self) -> IO[bytes]:
        return self.opener()

    def read(self, limit: int) -> bytes:
        """The whole content; refuses, without reading it, anything over `limit` bytes."""
        if self.size > limit:
            raise InputError(self.name, "too large", too_large(self.size, limit))
        with self.open() as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise InputError(self.name, "too large", too_large(len(data), limit))
        return data

    def head(self, count: int = 4096) -> bytes:
        with self.open() as stream:
            return stream.read(count)

    def first_line(self, limit: int) -> bytes:
        """The first line, however long, up to `limit` bytes (its start, when longer)."""
        with self.open() as stream:
            return stream.readline(limit)


Progress = Callable[[int], None]


def expand(
    path: str | os.PathLike[str], progress: Progress | None = None, keep: int = KEEP_BYTES
) -> Iterator[Input | InputError]:
    """Every input `path` names: the file itself, each file below a folder, each archive member.

    `progress`, if given, is called with the number of bytes read from disk as reading goes on,
    so that a caller can show a bar against `total_bytes(path)`. `keep` bounds the bytes of a
    streamed tar member held in memory so that it can be read again from its start (see `_Rewind`).
    """
    path = Path(path)
    report = progress or (lambda _: None)
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if not _is_hidden(child.relative_to(path)):
                yield from _expand_file(child, report, keep)
    elif path.is_file():
        yield from _expand_file(path, report, keep)
    else:
        yield InputError(str(path), "not found", "no such file or folder")


def total_bytes(path: str | os.PathLike[str]) -> int:
    """The bytes on disk below `path` (0 when it does not exist)."""
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.is_file() else 0


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _expand_file(path: Path, report: Progress, keep: int) -> Iterator[Input | InputError]:
    if is_archive(path):
        yield from _archive_members(path, report, keep)
    else:
        opener = lambda: open(path, "rb")  # noqa: E731, SIM115 - the caller closes it
        size = path.stat().st_size
        yield Input(str(path), size, opener, path.as_posix())
        report(size)


def _archive_members(path: Path, report: Progress, keep: int) -> Iterator[Input | InputError]:
    try:
        if path.name.lower().endswith(".zip"):
            yield from _zip_members(path, report)
        else:
            with open(path, "rb") as raw:
                yield from _tar_members(path, _Counting(raw, report), keep)
    except ARCHIVE_ERRORS as exc:
        yield InputError(str(path), "broken archive", f"cannot read the rest of the archive: {exc}")


class _Counting(io.RawIOBase):
    """A read-only file that reports how many bytes were read from it."""

    def __init__(self, raw: IO[bytes], report: Progress) -> None:
        self._raw = raw
        self._report = report

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._report(count or 0)
        return count or 0


def _tar_members(path: Path, raw: _Counting, keep: int) -> Iterator[Input | InputError]:
    # Streaming mode ("r|") reads the archive once, front to back, as members are consumed.
    with (
        _decompressed(raw) as tar,
        tarfile.open(fileobj=tar, mode="r|", tarinfo=_TarHeader) as archive,
    ):
        for member in archive:
            name = f"{path}:{member.name}"
            if member.isdir():
                continue
            unsafe = _unsafe_member(member.name)
            if unsafe or not member.isfile():
                yield InputError(name, "unsafe archive member", unsafe or "is a link or device")
                continue
            if _is_hidden(PurePosixPath(member.name)):
                continue
            stream = archive.extractfile(member)
            if stream is None:  # pragma: no cover - isfile() members always have a stream
                continue
            yield Input(name, member.size, _member_opener(stream, member.size, keep), member.name)


def _decompressed(raw: _Counting) -> io.BufferedIOBase:
    """The tar inside a compressed file (gzip, bzip2, xz or none, told by its first bytes).

    tarfile's own streaming decompression ("r|*") copies the rest of its decompressed buffer
    at every 512-byte block it reads: that copying took a quarter of the instructions of
    reading MedQuAD's archive, parsing and all. Given the tar already decompressed, it reads
    through a buffer of 10 kB at most.
    """
    buffered = io.BufferedReader(raw, 64 * 1024)
    magic = buffered.peek(10)[:10]
    if magic.startswith(b"\x1f\x8b\x08"):
        return gzip.GzipFile(fileobj=buffered, mode="rb")
    if magic[:3] == b"BZh" and magic[4:10] == b"1AY&SY":
        return bz2.BZ2File(buffered)
    if magic.startswith((b"\x5d\x00\x00\x80", b"\xfd7zXZ")):
        return lzma.LZMAFile(buffered)
    return buffered


class _TarHeader(tarfile.TarInfo):
    """tarfile's member header, decoded faster where it is plain: octal numbers, a checksum
    that adds up unsigned, not a GNU sparse file. Anything else (and every error) is left to
    tarfile's own decoding, so that the archives read and the problems met are tarfile's.

    tarfile adds up each 512-byte header twice through a 504-item tuple (for the signed sum
    some old tars wrote) and decodes each number field through three calls: a third of the
    instructions of reading MedQuAD's archive (11,296 members, each with two headers) went
    there.
    """

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        try:
            return cls._plain(buf, encoding, errors)
        except ValueError:  # a header to leave to tarfile: it says what is wrong, if anything
            return super().frombuf(buf, encoding, errors)

    @classmethod
    def _plain(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        kind = buf[156:157]
        if len(buf) != tarfile.BLOCKSIZE or kind == tarfile.GNUTYPE_SPARSE:
            raise ValueError("not a plain header")
        checksum = _octal(buf[148:156])
        if checksum != sum(buf) - sum(buf[148:156]) + 256:  # the 8 bytes count as spaces
            raise ValueError("checksum")
        header = cls()
        header.name = _text(buf[0:100], encoding, errors)
        header.mode = _octal(buf[100:108])
        header.uid, header.gid = _octal(buf[108:116]), _octal(buf[116:124])
        header.size, header.mtime = _octal(buf[124:136]), _octal(buf[136:148])
        header.chksum, header.type = checksum, bytes(kind)
        header.linkname = _text(buf[157:257], encoding, errors)
        header.uname = _text(buf[265:297], encoding, errors)
        header.gname = _text(buf[297:329], encoding, errors)
        header.devmajor, header.devminor = _octal(buf[329:337]), _octal(buf[337:345])
        prefix = _text(buf[345:500], encoding, errors)
        if kind == tarfile.AREGTYPE and header.name.endswith("/"):  # old tars' directories
            header.type = tarfile.DIRTYPE
        if header.isdir():
            header.name = header.name.rstrip("/")
        if prefix and header.type not in tarfile.GNU_TYPES:
            header.name = prefix + "/" + header.name
        return header


def _octal(field: bytes | bytearray) -> int:
    """A number field as tarfile reads one written in octal digits (ValueError otherwise)."""
    if field[:1] in (b"\x80", b"\xff"):  # base-256, for tarfile to read
        raise ValueError("base-256 number")
    return int(field.split(b"\0", 1)[0].strip() or b"0", 8)


def _text(field: bytes | bytearray, encoding: str, errors: str) -> str:
    return field.split(b"\0", 1)[0].decode(encoding, errors)


def _zip_members(path: Path, report: Progress) -> Iterator[Input | InputError]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            report(info.compress_size)
            name = f"{path}:{info.filename}"
            if info.is_dir():
                continue
            unsafe = _unsafe_member(info.filename)
            if unsafe:
                yield InputError(name, "unsafe archive member", unsafe)
                continue
            if _is_hidden(PurePosixPath(info.filename)):
                continue
            yield Input(name, info.file_size, partial(archive.open, info), info.filename)


def _member_opener(stream: IO[bytes], size: int, keep: int) -> Callable[[], IO[bytes]]:
    """An opener for a member of a streamed tar: one read into memory when the member is
    small enough to keep whole (MedQuAD's are 3 kB), else a `_Rewind`. An error met reading
    it is raised when the member is opened, as a `_Rewind` would raise it."""
    if size > keep:
        return _Rewind(stream, keep)
    try:
        data = stream.read()
    except ARCHIVE_ERRORS as exc:
        return partial(_raise, exc)
    return partial(io.BytesIO, data)


def _raise(exc: BaseException) -> IO[bytes]:
    raise exc


class _Rewind:
    """An opener for a member of a streamed tar, whose bytes arrive once, front to back.

    Each open starts again at the member's first byte: the bytes read so far are kept, up to
    `keep` of them, so that detection can look at the head (or the first line) and the reader
    then read from the start. The rest streams through without being kept, so a large JSON Lines
    member is never held whole in memory. Opening again once more than `keep` bytes have gone by
    is an `OSError` (nothing here does).
    """

    def __init__(self, stream: IO[bytes], keep: int) -> None:
        self._stream = stream
        self._keep = keep
        self._kept = bytearray()
        self._read = 0  # bytes taken from the stream

    def __call__(self) -> IO[bytes]:
        if self._read > len(self._kept):
            raise OSError(f"this archive member is over {self._keep:,} bytes and was read already")
        return io.BufferedReader(_Replay(self))

    def read_at(self, position: int, size: int) -> bytes:
        if position < len(self._kept):
            return bytes(self._kept[position : position + size])
        if position != self._read:  # pragma: no cover - readers go front to back, one at a time
            raise OSError("an archive member can be read only from its start, in order")
        data = self._stream.read(size)
        if self._read == len(self._kept) and len(self._kept) + len(data) <= self._keep:
            self._kept += data
        self._read += len(data)
        return data


class _Replay(io.RawIOBase):
    """One reading of a `_Rewind` member, from its first byte."""

    def __init__(self, member: _Rewind) -> None:
        self._member = member
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._member.read_at(self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def _unsafe_member(name: str) -> str | None:
    """Why an archive member's name could escape a folder, or None when it is safe."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return f"absolute path {name!r} in archive (refused)"
    if ".." in posix.parts:
        return f"path {name!r} climbs out of the archive with '..' (refused)"
    return None


def _is_hidden(relative: PurePosixPath | Path) -> bool:
    """Editor droppings and OS metadata (".DS_Store", "__MACOSX/...") are not content."""
    return any(part.startswith(".") or part == "__MACOSX" for part in relative.parts)


def too_large(size: int, limit: int) -> str:
    return f"{size:,} bytes is over the limit of {limit:,} bytes for one document (skipped)"
