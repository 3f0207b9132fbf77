"""The one atomic-write helper: a failed write leaves the old file as it was and no ``.partial`` behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewmine._files import atomic_writer, write_atomic


def test_write_atomic_replaces_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "näher\r\n")
    assert target.read_bytes() == "näher\r\n".encode()  # newlines as given, utf-8 by default
    write_atomic(target, "näher", encoding="latin-1")
    assert target.read_bytes() == b"n\xe4her"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text('{"good": true}', encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk gone"), atomic_writer(target) as handle:
        handle.write('{"half": ')
        raise RuntimeError("disk gone")
    assert target.read_text(encoding="utf-8") == '{"good": true}'
    assert not list(tmp_path.glob("*.partial"))


def test_a_failed_rename_removes_the_partial_file(tmp_path: Path) -> None:
    folder = tmp_path / "taken"  # a folder where the file should go: the data is written, the rename fails
    (folder / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        write_atomic(folder, "text")
    assert folder.is_dir() and (folder / "inside").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
