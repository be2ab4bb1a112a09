"""The knowledge normgraph ships: `ontology/`, `data/`, `shapes/` and `queries/`, as package data.

In a source checkout these four names are links to the repository's top-level folders (where people
edit them); in a built wheel they are copies. Either way they are read from here, with
`importlib.resources`, so an installed normgraph works from any folder. A missing file is an error
that says which file and where it was looked for — never an empty graph. In an installed wheel
that includes a single file gone from a folder: the wheel's RECORD lists every file it installed.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata, resources
from pathlib import Path, PurePosixPath

#: The folder that holds ontology/, data/, shapes/ and queries/.
ROOT = Path(str(resources.files(__name__)))

#: The knowledge folders, as they are named under ROOT and in a checkout.
FOLDERS = ("ontology", "data", "shapes", "queries")


class KnowledgeMissing(FileNotFoundError):
    """A file or folder of normgraph's own knowledge is not where the package says it is."""


def _missing(what: str, where: Path) -> KnowledgeMissing:
    return KnowledgeMissing(
        f"normgraph's knowledge {what} (looked in {where}); reinstall normgraph or restore it in the checkout"
    )


def path(*parts: str | Path, root: Path = ROOT) -> Path:
    """A knowledge file or folder (`path("queries", "report-soa.rq")`), which must exist."""
    p = root.joinpath(*parts)
    if not p.exists():
        raise _missing(f"file {'/'.join(map(str, parts))} is missing", root)
    return p


def files(folder: str | Path, pattern: str = "*.ttl", *, root: Path = ROOT) -> list[Path]:
    """The files of a knowledge folder (`files("data/mappings")`, relative to `root`, or an absolute
    path), sorted; the folder must hold at least one, and every one the installed wheel put there."""
    where = path(folder, root=root)
    found = sorted(where.glob(pattern))
    if not found:
        raise _missing(f"folder {folder} holds no {pattern} file", where)
    if where.is_relative_to(ROOT) and (installed := _installed()) is not None:
        inside = PurePosixPath(where.relative_to(ROOT).as_posix())
        present = {f.relative_to(ROOT).as_posix() for f in found}
        gone = sorted(str(f) for f in installed if f.parent == inside and f.match(pattern) and str(f) not in present)
        if gone:
            raise _missing(f"file {gone[0]} is missing", ROOT)
    return found


@cache
def _installed() -> frozenset[PurePosixPath] | None:
    """The knowledge files an installed wheel put under ROOT (from its RECORD), relative to ROOT;
    None in a checkout (the folders there are the truth) or when ROOT is not the installed copy."""
    if checkout_root() is not None:
        return None
    try:
        dist = metadata.distribution("normgraph")
    except metadata.PackageNotFoundError:
        return None
    prefix = PurePosixPath("normgraph", "knowledge")
    if dist.read_text("RECORD") is None or Path(str(dist.locate_file(prefix))).resolve() != ROOT.resolve():
        return None
    return frozenset(PurePosixPath(f).relative_to(prefix) for f in dist.files or () if PurePosixPath(f).is_relative_to(prefix))


def checkout_root() -> Path | None:
    """The source checkout these files are linked from, or None in an installed wheel.

    Only `normgraph build` needs it: it writes converted catalogs back into the checkout.
    """
    link = ROOT / "ontology"
    if link.is_symlink():
        return link.resolve().parent
    return None
