"""Lake mode, `reviewmine analyze --engine ray --input ... --output ...`, on a real local Ray instance (two CPUs,
test_ray_engine's fixtures) with the trained default model: ``file://`` URLs in and out give the local engine's
tags; a finished output is refused, an interrupted run's leftovers are replaced; and what fails before any work,
each in one line: a missing column, a scheme no filesystem here reads, an S3 endpoint refusing or never answering
(a real loopback socket)."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from runtime_fixtures import DEFAULT_MODEL_DIR
from test_ray_engine import CHUNK, REVIEWS, local_tags, pending_db, ray_instance  # noqa: F401 (fixtures)
from typer.testing import CliRunner

from reviewmine.cli import app
from reviewmine.columns import SENTENCE_COLUMNS

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "config.json").exists(), reason=f"no trained default model in {DEFAULT_MODEL_DIR}"
)


def _lake(input_spec: str, output: str, *extra: str) -> list[str]:
    return [
        "analyze", "--engine", "ray", "--input", input_spec, "--output", output, "--model", str(DEFAULT_MODEL_DIR),
        "--chunk-size", str(CHUNK), *extra,
    ]  # fmt: skip


def _written(out: Path) -> pd.DataFrame:
    import pyarrow.dataset as pads

    frame = pads.dataset(out, format="parquet", partitioning="hive").to_table().to_pandas()
    return frame.sort_values(["review_key", "sentence_idx"], ignore_index=True)


def _count(out: Path) -> int:
    import pyarrow.dataset as pads

    return pads.dataset(out, format="parquet", partitioning="hive").count_rows()


def test_lake_mode_reads_and_writes_file_urls_with_the_local_engines_tags_and_reruns_consistently(
    ray_instance: None,  # noqa: F811
    pending_db: Path,  # noqa: F811
    local_tags: tuple[pd.DataFrame, pd.DataFrame],  # noqa: F811
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    _stored_reviews(pending_db).to_parquet(lake / "reviews.parquet", index=False)
    out = tmp_path / "tags"
    result = CliRunner().invoke(app, _lake(f"file://{lake}/*.parquet", f"file://{out}", "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reviews"] == REVIEWS and summary["actors"] == 1  # one of the two CPUs reads and writes
    written = _written(out)
    expected = local_tags[0]
    assert summary["sentences"] == len(written) == len(expected)
    for column in SENTENCE_COLUMNS:
        if column == "rating_normalised":  # not in this input
            continue
        if pd.api.types.is_float_dtype(expected[column]):  # bf16 batches of other shapes: the 4th decimal may differ
            gap = np.abs(written[column].to_numpy() - expected[column].to_numpy())
            assert gap.max() < 0.02, column  # ...and one value in hundreds by a bf16 step of a logit near its edge
            assert int((gap > 2e-3).sum()) <= max(1, len(expected) // 500), (column, np.sort(gap)[-3:])
        elif pd.api.types.is_bool_dtype(expected[column]):  # ...so a probability that close to a threshold may flip
            flipped = int((written[column].to_numpy() != expected[column].to_numpy()).sum())
            assert flipped <= max(1, len(expected) // 500), (column, flipped)
        else:
            assert _plain(written[column]) == _plain(expected[column]), column
    months = {p.name for p in out.glob("brand=*/month=*")}
    assert months == {f"month={m}" for m in expected["published_at"].dt.strftime("%Y-%m")}
    labels = local_tags[1].set_index("review_key")["label"]
    assert (written["review_label"] == written["review_key"].map(labels)).all()
    done = json.loads((out / "_SUCCESS").read_text())
    assert (done["reviews"], done["sentences"]) == (REVIEWS, len(expected)) and not (out / "_temporary").exists()

    # A second run into a finished output would add a second copy of every tag: refused before any work.
    again = CliRunner().invoke(app, _lake(str(lake), str(out)))
    assert again.exit_code == 2
    assert again.output.strip() == (
        f"error: --output {out}: holds a finished run's tags (it has _SUCCESS): write the tags into a new folder, "
        "or remove it first"
    )

    # What an interrupted run leaves: its files staged under _temporary/<run>/, no _SUCCESS. Readers see nothing;
    # the next run replaces it and says so, and the output holds each tag once.
    staged = out / "_temporary" / "0123abcd"
    staged.mkdir(parents=True)
    for brand in list(out.glob("brand=*")):
        shutil.move(brand, staged / brand.name)
    (out / "_SUCCESS").unlink()
    assert _count(out) == 0
    rerun = CliRunner().invoke(app, _lake(str(lake), str(out)))
    assert rerun.exit_code == 0, rerun.output
    assert rerun.output.startswith("replaced an interrupted run's unfinished output; tagged 300 reviews")
    assert _count(out) == len(expected) and not (out / "_temporary").exists() and (out / "_SUCCESS").exists()


def _plain(values: pd.Series) -> list[object]:
    """Values as Python objects, None for missing (a categorical's NaN and Arrow's null alike)."""
    return values.astype(object).where(values.notna(), None).tolist()


def _stored_reviews(db: Path) -> pd.DataFrame:
    import reviewmine

    with reviewmine.open(db) as workspace:
        frame = workspace.reviews()
    return frame[["review_key", "brand", "source", "published_at", "title", "body", "language"]].astype(
        {"brand": str, "source": str}
    )


# -- failing before any work --------------------------------------------------------------------------------


@pytest.fixture
def reviews_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.parquet"
    frame = {"review_key": ["a"], "brand": ["B"], "published_at": ["2025-01-01"], "body": ["Great."]}
    pd.DataFrame(frame).to_parquet(path)
    return path


def test_lake_input_without_a_required_column_names_it(tmp_path: Path) -> None:
    pd.DataFrame({"review_key": ["a"], "brand": ["B"], "published_at": ["2025-01-01"], "text": ["x"]}).to_parquet(
        tmp_path / "in.parquet"
    )
    result = CliRunner().invoke(app, _lake(str(tmp_path / "in.parquet"), str(tmp_path / "o")))
    assert result.exit_code == 1
    assert result.output.startswith(f"error: --input {tmp_path / 'in.parquet'}: missing column 'body' (required: ")


def test_a_scheme_no_filesystem_here_reads_is_one_line_naming_the_option(reviews_file: Path, tmp_path: Path) -> None:
    bad_input = CliRunner().invoke(app, _lake("nosuchfs://lake/reviews/*.parquet", str(tmp_path / "o")))
    assert (bad_input.exit_code, bad_input.output.strip()) == (
        1, "error: --input nosuchfs://lake/reviews/*.parquet: no filesystem here reads nosuchfs:// URLs "
        "(neither pyarrow nor fsspec)",
    )  # fmt: skip
    bad_output = CliRunner().invoke(app, _lake(f"file://{reviews_file}", "nosuchfs://x"))
    assert (bad_output.exit_code, bad_output.output.strip()) == (
        1, "error: --output nosuchfs://x: no filesystem here reads nosuchfs:// URLs (neither pyarrow nor fsspec)",
    )  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (closed after the test, ending any request)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_s3_store_that_refuses_or_never_answers_fails_in_one_line_within_the_bound(
    reviews_file: Path, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.fs as pafs

    from reviewmine.nlp import lake_files

    if not hasattr(pafs, "S3FileSystem"):
        pytest.skip("this pyarrow has no S3 support")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credential look-up on a cloud metadata address
    refused = f"s3://lake/tags?endpoint_override=127.0.0.1:{_closed_port()}&scheme=http&region=us-east-1"
    result = CliRunner().invoke(app, _lake(str(reviews_file), refused))
    assert result.exit_code == 1
    line = result.output.strip()
    assert line.startswith(f"error: --output {refused}: cannot reach it (") and "\n" not in line, line

    monkeypatch.setattr(lake_files, "FS_TIMEOUT_S", 2.0)
    silent = f"s3://lake/reviews?endpoint_override=127.0.0.1:{silent_port}&scheme=http&region=us-east-1"
    result = CliRunner().invoke(app, _lake(silent, "unused"))
    assert (result.exit_code, result.output.strip()) == (1, f"error: --input {silent}: no answer within 2 s")
