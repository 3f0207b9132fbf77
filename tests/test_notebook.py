"""notebooks/01_explore.ipynb runs top to bottom (nbclient + ipykernel) on a demo database it builds itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_explore.ipynb"


@pytest.mark.slow  # about 13 s
def test_explore_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env={**os.environ, "TMPDIR": str(tmp_path)})  # the notebook's demo database goes there
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) >= 7  # every plot helper drew
    text = "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")
    assert "2,252 reviews" in text and "Crustline: " in text  # 1,961 served + 291 NPS survey responses
