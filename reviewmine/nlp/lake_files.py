"""Where lake mode reads and writes: a local path or a filesystem URL, resolved once into a pyarrow filesystem that
the driver's checks and Ray Data's read and write tasks share (docs/scaling.md, lake mode).

A URL is opened by `pyarrow.fs.FileSystem.from_uri` (``file://``, ``s3://``, ``gs://``, ``hdfs://``, ...), else by
fsspec when it knows the scheme (``abfs://``, ``memory://``, ... with their packages installed). The first contact
(resolving, then one metadata call) runs under `FS_TIMEOUT_S`: an S3 endpoint that accepts and never answers would
otherwise hold the run forever. Globs are expanded on that filesystem (``*``, ``?``, ``[...]``, ``**``).

Output is staged so that readers see a run whole or not at all: Ray Data writes under ``DIR/_temporary/<run>/``
(skipped by `pyarrow.dataset` and Spark: names starting with ``_``), then the driver moves every file
into place (a rename on local disks and HDFS, a copy per object on object stores) and writes ``DIR/_SUCCESS``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import InputError, UsageError

if TYPE_CHECKING:
    import pyarrow.fs as pafs

__all__ = [
    "FS_TIMEOUT_S", "STAGING", "SUCCESS", "Location", "commit", "discard", "input_paths", "locate", "mark_success",
    "prepare_output",
]  # fmt: skip

FS_TIMEOUT_S = 30.0  # resolving the filesystem and one metadata call; a reachable store answers in well under 1 s
PROBE_TIMEOUT_S = 5.0  # per S3 request of the first contact; the SDK tries three times
STAGING = "_temporary"  # Hadoop's name for a job's uncommitted output; hive readers skip names starting with _
SUCCESS = "_SUCCESS"  # written last: the output is complete (Spark and Hadoop check for it)
_GLOB = frozenset("*?[")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Location:
    """``spec`` as the user gave it for ``option``, and where it is: ``path`` on ``filesystem``."""

    spec: str
    option: str
    filesystem: pafs.FileSystem
    path: str
    exists: bool
    is_dir: bool

    @property
    def where(self) -> str:
        return f"{self.option} {self.spec}"

    def join(self, *parts: str) -> str:
        return "/".join([self.path.rstrip("/"), *parts])


def locate(spec: str, option: str) -> Location:
    """Resolve ``spec`` (a path or URL, possibly a glob) once and look at it: an InputError naming ``option`` when no
    filesystem here reads its scheme or its store does not answer, within `FS_TIMEOUT_S`."""
    import pyarrow.fs as pafs

    where = f"{option} {spec}"

    def first_contact() -> Location:
        filesystem, path = _filesystem(spec, where)
        probe = _glob_base(path) if _is_glob(path) else path
        try:
            info = _impatient(filesystem).get_file_info(probe)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot reach it ({_first_line(exc)})", where=where) from None
        kind = info.type
        return Location(spec, option, filesystem, path, kind != pafs.FileType.NotFound, kind == pafs.FileType.Directory)

    return _bounded(first_contact, where)


def input_paths(location: Location) -> list[str]:
    """The Parquet files or folders the input names, as paths on its filesystem (a glob expanded there)."""
    if not _is_glob(location.path):
        if not location.exists:
            raise InputError("no such file or folder", where=location.where)
        return [location.path]
    found = _glob(location.filesystem, location.path)
    if not found:
        raise InputError("no files match", where=location.where)
    return found


def prepare_output(location: Location) -> bool:
    """Check that the output may be written: new, empty, or holding only what an interrupted run left in its staging
    folder (True: `commit` replaces it; nothing of it was ever visible to readers). A finished run's output, or any
    other content, is a UsageError: a second run would add a second copy of every tag."""
    import pyarrow.fs as pafs

    if not location.exists:
        return False
    if not location.is_dir:
        raise UsageError("exists and is not a folder", where=location.where)
    try:
        names = {os.path.basename(info.path.rstrip("/")) for info in location.filesystem.get_file_info(
            pafs.FileSelector(location.path, recursive=False)
        )}  # fmt: skip
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot list it ({_first_line(exc)})", where=location.where) from None
    if names <= {STAGING}:
        return bool(names)
    if SUCCESS in names:
        problem = "holds a finished run's tags (it has _SUCCESS)"
    elif STAGING in names:
        problem = "holds part of an interrupted run's tags (it stopped while moving them into place)"
    else:
        problem = "is not empty"
    raise UsageError(f"{problem}: write the tags into a new folder, or remove it first", where=location.where)


def commit(location: Location, staged: str) -> None:
    """Move the files Ray Data wrote under ``staged`` into place and remove the staging folder (with what an earlier
    interrupted run left there). On a local disk or HDFS each move is a rename; on an object store a copy."""
    import pyarrow.fs as pafs

    filesystem = location.filesystem
    filesystem.create_dir(location.path, recursive=True)
    infos = filesystem.get_file_info(pafs.FileSelector(staged, recursive=True, allow_not_found=True))
    prefix = staged.rstrip("/") + "/"
    for info in sorted((i for i in infos if i.type == pafs.FileType.File), key=lambda i: i.path):
        relative = info.path[info.path.index(prefix) + len(prefix) :]
        target = location.join(relative)
        filesystem.create_dir(target.rpartition("/")[0], recursive=True)
        filesystem.move(info.path, target)
    if filesystem.get_file_info(location.join(STAGING)).type != pafs.FileType.NotFound:
        filesystem.delete_dir(location.join(STAGING))


def mark_success(location: Location, summary: dict[str, Any]) -> None:
    """Write ``_SUCCESS`` (what the run wrote, as JSON): the output is complete."""
    with location.filesystem.open_output_stream(location.join(SUCCESS)) as out:
        out.write(json.dumps(summary, indent=1).encode())


def discard(location: Location, staged: str) -> None:
    """Best effort after a failed or interrupted run: remove what it staged (the next run removes any rest)."""
    with contextlib.suppress(OSError, ValueError):
        location.filesystem.delete_dir(staged)


# -- resolving ------------------------------------------------------------------------------------------------


def _filesystem(spec: str, where: str) -> tuple[pafs.FileSystem, str]:
    """(filesystem, path on it): pyarrow's own for a scheme it knows, else fsspec's wrapped for pyarrow."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    if "://" not in spec:
        return pafs.LocalFileSystem(), os.path.abspath(os.path.expanduser(spec))
    scheme = spec.split("://", 1)[0]
    try:
        return pafs.FileSystem.from_uri(spec)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        # not a scheme pyarrow reads ("Unrecognized filesystem type"), or this build of pyarrow lacks it
        unknown = _first_line(exc)
    except (OSError, ValueError) as exc:  # it knows the scheme but cannot reach the store (an S3 bucket's region)
        raise InputError(f"cannot reach it ({_first_line(exc)})", where=where) from None
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise InputError(f"no filesystem here reads {scheme}:// URLs (pyarrow: {unknown})", where=where) from None
    try:
        filesystem, path = url_to_fs(spec)
    except ValueError:  # fsspec: "Protocol not known: x"
        raise InputError(
            f"no filesystem here reads {scheme}:// URLs (neither pyarrow nor fsspec)", where=where
        ) from None
    except ImportError as exc:  # fsspec knows it, its package is missing: "Install s3fs to access S3"
        raise InputError(f"{scheme}:// needs a package not installed here ({_first_line(exc)})", where=where) from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem)), path


def _impatient(filesystem: pafs.FileSystem) -> pafs.FileSystem:
    """For the first contact, an S3 filesystem with request timeouts: with the SDK's own, a request to a store that
    never answers outlives the `FS_TIMEOUT_S` bound and pyarrow's S3 shutdown waits for it (about 100 s at exit).
    The run itself uses the filesystem as resolved."""
    import pyarrow.fs as pafs

    if not isinstance(filesystem, pafs.S3FileSystem):
        return filesystem
    rebuild, (options, *_) = filesystem.__reduce__()
    if options.get("request_timeout", -1) > 0:
        return filesystem
    return rebuild({**options, "connect_timeout": PROBE_TIMEOUT_S, "request_timeout": PROBE_TIMEOUT_S})


def _bounded(call: Callable[[], T], where: str) -> T:
    """``call()`` in a daemon thread, given up after `FS_TIMEOUT_S` (a daemon: a hung call cannot hold the exit)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="reviewmine-lake-location", daemon=True)
    thread.start()
    thread.join(FS_TIMEOUT_S)
    if thread.is_alive():
        raise InputError(f"no answer within {FS_TIMEOUT_S:g} s", where=where)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# -- globs ----------------------------------------------------------------------------------------------------


def _is_glob(path: str) -> bool:
    return any(ch in _GLOB for ch in path)


def _glob_base(pattern: str) -> str:
    """The folder above the first segment with a wildcard."""
    parts = pattern.split("/")
    first = next(i for i, part in enumerate(parts) if _is_glob(part))
    return "/".join(parts[:first]) or "/"


def _glob(filesystem: pafs.FileSystem, pattern: str) -> list[str]:
    """Paths on ``filesystem`` matching ``pattern`` as `glob.glob(recursive=True)` would: ``*`` stays within a
    segment, ``**`` spans any number, and names starting with ``.`` or ``_`` match only a pattern that does."""
    import pyarrow.fs as pafs

    base = _glob_base(pattern)
    wanted = pattern[len(base) :].strip("/").split("/")
    recursive = len(wanted) > 1 or "**" in wanted
    infos = filesystem.get_file_info(pafs.FileSelector(base, recursive=recursive, allow_not_found=True))
    found = []
    for info in infos:
        if recursive and info.type != pafs.FileType.File:
            continue  # a folder and the files under it would be read twice
        names = info.path[len(base.rstrip("/")) :].strip("/").split("/")
        if _matches(names, wanted):
            found.append(info.path)
    return sorted(found)


def _matches(names: list[str], patterns: list[str]) -> bool:
    if not patterns:
        return not names
    if patterns[0] == "**":
        visible = next((i for i, name in enumerate(names) if name.startswith((".", "_"))), len(names))
        return any(_matches(names[i:], patterns[1:]) for i in range(visible + 1))
    if not names or (names[0].startswith((".", "_")) and patterns[0][:1] != names[0][:1]):
        return False
    return fnmatch.fnmatchcase(names[0], patterns[0]) and _matches(names[1:], patterns[1:])
