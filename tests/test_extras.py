"""A slim install: without the nlp and train extras the core commands work and never import torch, and the
commands that need an extra name the one to install and exit 2.

Each check runs the CLI in a subprocess with a finder first on ``sys.meta_path`` that answers every import of the
extras' packages with ModuleNotFoundError, as when they are not installed (a real slim virtualenv would need the
package index). ``sys.modules[name] = None`` would block them too, but scipy then finds "torch" in sys.modules
and reads ``Tensor`` off the None, a failure no slim install has.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from reviewmine.cli import app
from reviewmine.demo.database import DemoDb, build_demo_db
from reviewmine.extras import EXTRAS
from reviewmine.nlp.training.settings import TrainSettings

IMPORT = Path(__file__).parent / "fixtures" / "import"
# What the core must do without: both extras' modules, what pyproject.toml no longer lists (bs4, pysbd), and
# click, which typer vendors (typer._click) since 0.2x: only the extras' packages bring it (a slim install had no
# click, and `import click` in the CLI broke every command there).
SLIM = (*EXTRAS["train"], "ray", "psycopg", "bs4", "pysbd", "click")
BLOCKED_CLI = """
import sys

class NotInstalled:
    # first on the import path: the blocked packages (and their submodules) are missing, as in a slim install
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

BLOCKED = set(sys.argv[1].split(","))
sys.meta_path.insert(0, NotInstalled())
sys.argv = ["reviewmine", *sys.argv[2:]]
from reviewmine.cli import main
main()
"""


def blocked_cli(blocked: tuple[str, ...], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`reviewmine ARGS` in a fresh interpreter where the ``blocked`` modules cannot be imported."""
    command = [sys.executable, "-c", BLOCKED_CLI, ",".join(blocked), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def tagged_db(tmp_path_factory: pytest.TempPathFactory) -> DemoDb:
    """A small demo database whose sentences carry the generator's true tags: no model was ever loaded."""
    return build_demo_db(tmp_path_factory.mktemp("slim") / "demo.db", scale=0.2)


@pytest.mark.parametrize(
    ("args", "extra", "blocked"),
    [
        (["analyze", "--db", "x.db"], "nlp", ("torch", "transformers")),
        (["classify", "The soup was cold."], "nlp", ("torch", "transformers")),
        (["eval", "--shared", "."], "nlp", ("torch", "transformers")),
        (["demo", "--quiet"], "nlp", ("torch", "transformers")),
        (["train", "--shared", "."], "train", ("torch", "transformers")),
        (["train", "--shared", "."], "train", ("peft",)),  # nlp is there, peft is not
    ],
)
def test_a_command_that_needs_a_missing_extra_names_it_and_exits_2(
    tmp_path: Path, args: list[str], extra: str, blocked: tuple[str, ...]
) -> None:
    result = blocked_cli(blocked, *args, cwd=tmp_path)
    command = args[0]
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith(
        f"error: reviewmine {command} needs the {extra} extra: pip install 'reviewmine[{extra}]'"
    )
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # it stopped before any work (no database, no demo folder)


def test_core_commands_run_without_the_extras(tmp_path: Path) -> None:
    assert blocked_cli(SLIM, "collect", "--help").returncode == 0
    db = tmp_path / "slim.db"
    imported = blocked_cli(SLIM, "import", str(IMPORT / "reviews.csv"), "--brand", "Acme", "--db", str(db))
    assert imported.returncode == 0 and "new" in imported.stdout, imported.stderr
    info = blocked_cli(SLIM, "db", "info", "--db", str(db), "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)


def test_report_and_export_from_stored_tags_without_the_extras(tagged_db: DemoDb, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(tagged_db.path, db)
    html = tmp_path / "report.html"
    report = blocked_cli(SLIM, "report", "--db", str(db), "--brand", "Crustline", "-o", str(html))
    assert report.returncode == 0, report.stderr
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    risk = tmp_path / "risk.csv"
    export = blocked_cli(SLIM, "export", "--db", str(db), "--brand", "Crustline", "--table", "risk", "-o", str(risk))
    assert export.returncode == 0, export.stderr
    assert risk.read_text(encoding="utf-8").count("\n") > 1


def test_the_subthemes_table_alone_needs_the_nlp_extra(tagged_db: DemoDb, tmp_path: Path) -> None:
    """Sub-themes cluster on the packaged encoder's sentence embeddings."""
    out = tmp_path / "subthemes.csv"
    themes = blocked_cli(SLIM, "export", "--db", str(tagged_db.path), "--table", "subthemes", "-o", str(out))
    assert themes.returncode == 2 and not out.exists()
    assert themes.stderr.strip() == (
        "error: clustering sub-themes on sentence embeddings needs the nlp extra: pip install 'reviewmine[nlp]' "
        f"({', '.join(EXTRAS['nlp'])} not importable)"
    )


JOB = """\
[job]
name = "slim"
output = "out"
db = "{db}"
analyze = {analyze}

[[brands]]
name = "Crustline"

  [[brands.sources]]
  source = "trustpilot"
  locator = "crustline.example"
  base_url = "http://127.0.0.1:9"
"""


def test_a_job_runs_without_the_nlp_extra_unless_it_analyzes(tagged_db: DemoDb, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(tagged_db.path, db)
    job = tmp_path / "job.toml"
    job.write_text(JOB.format(db=db, analyze="false"), encoding="utf-8")
    run = blocked_cli(SLIM, "run", str(job), "--quiet", "--json", cwd=tmp_path)
    summary = json.loads(run.stdout)
    assert run.returncode == 1, run.stderr  # the source at port 9 is down: a failure, not a crash
    assert "analyze" not in summary and summary["reports"], summary  # reported from the stored tags
    job.write_text(JOB.format(db=db, analyze="true"), encoding="utf-8")
    for argv in (["run", str(job), "--quiet"], ["run", "--check", str(job)]):
        run = blocked_cli(SLIM, *argv, cwd=tmp_path)
        assert run.returncode == 2, run.stderr
        assert "job.toml: analyze = true needs the nlp extra: pip install 'reviewmine[nlp]'" in run.stderr
    assert "analyze" not in json.loads((tmp_path / "out" / "summary.json").read_text())  # the first run's: none new


def test_train_help_shows_the_defaults_of_train_settings() -> None:
    """The help reads its defaults from TrainSettings, so changing a default changes the help."""
    train = get_command(app).commands["train"]  # type: ignore[attr-defined]
    helps = {param.name: param.help or "" for param in train.params}
    settings = TrainSettings()
    assert f"[default: {settings.epochs}]" in helps["epochs"]
    assert f"[default: {settings.lora_rank}]" in helps["lora_rank"]
    assert f"[default: {settings.teacher_share}]" in helps["teacher_share"]
    assert f"emotion={settings.loss_weights['emotion']:g}" in helps["loss_weight"]
    assert ", ".join(settings.exclude) in helps["exclude"]
