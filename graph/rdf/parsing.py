"""Reading RDF files all or nothing, with errors that name the file, line and column."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.rdf.formats import format_for

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

ProgressCallback = Callable[[int], None]


class LoadError(Exception):
    """Input that ecomap cannot read; nothing from it has been written anywhere."""


class RdfSyntaxError(LoadError):
    """A syntax error, located so that a person can go straight to it."""

    def __init__(self, path: Path, line: int | None, column: int | None, detail: str) -> None:
        self.path, self.line, self.column, self.detail = path, line, column, detail
        where = f"{path}:{line}:{column}" if line else str(path)
        super().__init__(f"{where}: syntax error: {detail}")


class ProgressReader(io.RawIOBase):
    """A file wrapper that reports how many bytes the parser has read, for a progress bar."""

    def __init__(self, raw: io.BufferedReader, progress: ProgressCallback) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._progress(n)
        return n


def read_quads(
    path: Path,
    *,
    base_iri: str,
    format_name: str | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[ox.Quad]:
    """Parse ``path`` lazily; a syntax error raises :class:`RdfSyntaxError` at the point it is met.

    Relative IRIs resolve against ``base_iri``, so the repository's files can be loaded under any base.
    """
    rdf_format = format_for(path, format_name)
    try:
        with path.open("rb") as raw:
            source = io.BufferedReader(ProgressReader(raw, progress)) if progress else raw
            yield from ox.parse(source, format=rdf_format, base_iri=base_iri)
    except SyntaxError as error:
        raise located(path, error) from None
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LoadError(f"{path}: is a directory, not a file") from None


def parse_all(path: Path, *, base_iri: str, format_name: str | None = None) -> list[ox.Quad]:
    """Parse a whole file before anything is written, so that a broken file writes nothing."""
    return list(read_quads(path, base_iri=base_iri, format_name=format_name))


def located(path: Path, error: SyntaxError) -> RdfSyntaxError:
    """The parser's error, with the file, line and column, in words a contributor can act on."""
    message = str(error.msg if error.msg else error)
    if message.startswith("Parser error"):
        _, _, message = message.partition(": ")
    if "remote context" in message:
        message = "ecomap never fetches a remote JSON-LD @context: put the context in the file itself"
    return RdfSyntaxError(path, error.lineno, error.offset, message)
