"""`reviewmine analyze` (tag stored reviews) and `reviewmine classify` (tag texts for a quick look)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError, UsageError
from ..extras import require
from ._common import DbOption, JsonOption, emit_json, open_store, usage_errors
from ._progress import AnalyzeProgress
from ._terminal import echo, json_safe

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Model folder, or a name looked up in $REVIEWMINE_MODELS, the source checkout's models/ and "
        "<prefix>/share/reviewmine/models (default: reviewmine-tagger).",
        show_default=False,
    ),
]
EncoderOption = Annotated[
    str | None, typer.Option("--encoder", help="Local encoder folder, if not the packaged all-MiniLM-L6-v2.")
]
PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision", help="auto (bf16 where the CPU has bfloat16 matrix units, else fp32), fp32, bf16 or int8."
    ),
]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Sentences per model batch.")]
_CLASSIFY_CHUNK = 512


EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="local (this process) or ray: a pool of Ray actors, on a local Ray instance or the cluster at "
        "--address (needs the ray extra; docs/scaling.md).",
    ),
]


def analyze(
    brand: Annotated[list[str] | None, typer.Option("--brand", "-b", help="Only this brand (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on/after: a date (2025-01-31) or a span (90d).")] = None,
    model: ModelOption = None,
    encoder: EncoderOption = None,
    batch_size: BatchOption = 32,
    precision: PrecisionOption = "auto",
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size",
            min=1,
            help="Reviews per committed transaction (and progress step; with --engine ray, per Ray batch).",
        ),
    ] = 512,
    compile_model: Annotated[
        bool, typer.Option("--compile", help="torch.compile the model first: 30 s to 2 min more, then 5-30% faster.")
    ] = False,
    engine: EngineOption = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Join this Ray cluster (HOST:PORT, ray://HOST:PORT or auto) instead of starting a local Ray instance.",
            show_default=False,
        ),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option(
            "--actors",
            min=1,
            help="Ray actors, each one CPU (default: as many as the CPUs or GPUs fit).",
            show_default=False,
        ),
    ] = None,
    gpus_per_actor: Annotated[
        float, typer.Option("--gpus-per-actor", min=0, help="GPUs per Ray actor (0: tag on CPUs; 0.5: two per GPU).")
    ] = 0.0,
    input_data: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="Lake mode: read reviews from this Parquet dataset (folder, file, glob or URL) instead "
            "of the store; needs --output.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            help="Lake mode: write the sentence tags here, partitioned by brand and month.",
            show_default=False,
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tag the stored reviews that have no result for this model version yet (or changed since).

    Sentences get clue categories with polarity, emotions and loyalty signals; each review a score in [-1, 1],
    a label and its language (non-English reviews are skipped, not scored). Results are kept per model
    version; work is committed every --chunk-size reviews, so an interrupted run resumes where it stopped.
    With --engine ray a pool of Ray actors tags and this process writes, with the same results (docs/scaling.md).

    Examples:

        reviewmine analyze --brand Acme --since 90d

        reviewmine analyze --engine ray --address head-node:6379

        reviewmine analyze --engine ray --input 'lake/reviews/*.parquet' --output lake/sentences
    """
    from ..timeparse import parse_when

    given = {"--address": address, "--actors": actors, "--gpus-per-actor": gpus_per_actor or None,
             "--input": input_data, "--output": output}  # fmt: skip
    _check_engine_options(engine, given, lake_filters=bool(brand or since), precision=precision)
    require("ray" if engine == "ray" else "nlp", f"reviewmine analyze{' --engine ray' if engine == 'ray' else ''}")
    from ..nlp.inference import check_precision, read_model_version

    try:
        since_at = parse_when(since)
    except ValueError as exc:
        raise UsageError(str(exc), where="--since") from None
    with usage_errors("--precision"):
        check_precision(precision)
    version = read_model_version(model)  # the model itself (torch) loads only when reviews are pending
    if engine == "ray":
        from ..nlp.ray_engine import RaySettings

        settings = RaySettings(
            address=address, actors=actors, gpus_per_actor=gpus_per_actor, model=model, encoder=encoder,
            precision=precision, batch_size=batch_size, chunk_size=chunk_size, compile=compile_model,
        )  # fmt: skip
        if input_data and output:
            _analyze_lake(settings, input_data, output, as_json)
            return
    with open_store(db) as store, AnalyzeProgress(progress and not as_json) as update:
        try:
            if engine == "ray":
                from ..nlp.ray_engine import analyze_store_ray

                report = analyze_store_ray(store, settings, brand=brand, since=since_at, progress=update)
            else:
                loading = {
                    "encoder": encoder,
                    "precision": precision,
                    "batch_size": batch_size,
                    "compile": compile_model,
                }
                report = _analyze_local(
                    store, model, version, loading, brand=brand, since=since_at, chunk_size=chunk_size, progress=update
                )
        except KeyboardInterrupt:
            echo("\ninterrupted: what was committed is kept; run again to resume", err=True)
            raise typer.Exit(1) from None
    if as_json:
        emit_json({
            "run_id": report.run_id, "model_version": report.model_version, "precision": report.precision or None,
            "engine": report.engine, "actors": report.actors or None,
            "pending": report.pending, "analyzed": report.analyzed, "new": report.new, "updated": report.updated,
            "sentences": report.sentences, "skipped_language": report.skipped_language,
            "skipped_empty": report.skipped_empty, "seconds": round(report.seconds, 2),
            "load_seconds": round(report.load_seconds, 2), "reviews_per_second": round(report.per_second, 1),
        })  # fmt: skip
        return
    loading = f", {report.load_seconds:.1f}s of it {_loading(report)}" if report.load_seconds >= 0.05 else ""
    rate = f" in {report.seconds:.1f}s ({report.per_second:.0f} reviews/s{loading})" if report.analyzed else ""
    echo(f"{report.message()}{rate}; run #{report.run_id}")


def _check_engine_options(engine: str, given: dict[str, Any], *, lake_filters: bool, precision: str) -> None:
    """Option combinations wrong on their face, before anything loads (exit 2)."""
    if engine not in ("local", "ray"):
        raise UsageError("choose local or ray", where="--engine")
    if engine == "local":
        for option, value in given.items():
            if value is not None:
                raise UsageError("needs --engine ray", where=option)
        return
    if (given["--input"] is None) != (given["--output"] is None):
        missing = "--output" if given["--output"] is None else "--input"
        raise UsageError(f"lake mode needs both --input and --output ({missing} is missing)", where=missing)
    if given["--input"] is not None and lake_filters:
        raise UsageError("--brand and --since select stored reviews; lake mode tags the whole --input", where="--input")
    if given["--gpus-per-actor"] and precision == "int8":
        raise UsageError("int8 runs on the CPU only", where="--precision")


def _analyze_local(store: Any, model: str | None, version: str, loading: dict[str, Any], **options: Any) -> Any:
    from ..nlp import predictor as make_predictor
    from ..nlp.analyze import analyze_store

    def load() -> Any:
        return make_predictor(model, **loading)

    return analyze_store(store, load, model_version=version, **options)


def _loading(report: Any) -> str:
    return "starting Ray and checking the workers" if report.engine == "ray" else "loading the model"


def _analyze_lake(settings: Any, input_data: str, output: str, as_json: bool) -> None:
    from ..nlp.ray_lake import analyze_lake

    try:
        report = analyze_lake(settings, input_data, output)
    except KeyboardInterrupt:
        echo(f"\ninterrupted: nothing was moved into {output}; run again (it starts over)", err=True)
        raise typer.Exit(1) from None
    if as_json:
        emit_json({
            "engine": "ray", "mode": "lake", "model_version": report.model_version, "output": report.output,
            "actors": report.actors, "reviews": report.reviews, "sentences": report.sentences,
            "files": report.files, "seconds": round(report.seconds, 2),
        })  # fmt: skip
        return
    echo(f"{report.message()} in {report.seconds:.1f}s")


def classify(
    texts: Annotated[list[str] | None, typer.Argument(help="Text(s) to tag.", show_default=False)] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input", "-i", help="Read one text per line (or JSON Lines with a 'text' field); '-' for stdin."
        ),
    ] = None,
    model: ModelOption = None,
    encoder: EncoderOption = None,
    precision: PrecisionOption = "auto",
    batch_size: BatchOption = 32,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per text (every tag and probability), in input order.")
    ] = False,
) -> None:
    """Tag texts for a quick look: per sentence its categories, polarity, emotions and loyalty signals.

    Examples:

        reviewmine classify "The waiter was rude and the soup was cold."

        reviewmine classify --input reviews.txt --json > tags.jsonl
    """
    require("nlp", "reviewmine classify")
    from ..nlp import predictor as make_predictor
    from ..nlp.analyze import classify_batch
    from ..nlp.inference import check_precision

    if bool(texts) == (input_file is not None):
        raise typer.BadParameter("give either TEXT arguments or --input FILE", param_hint="TEXT / --input")
    with usage_errors("--precision"):
        check_precision(precision)  # before the model loads
    runner = make_predictor(model, encoder=encoder, precision=precision, batch_size=batch_size)
    if texts:
        chunks: Iterator[list[tuple[dict[str, Any], str]]] = iter([[({}, t) for t in texts]])
    else:
        chunks = _read_chunks(input_file)  # type: ignore[arg-type]
    for chunk in chunks:
        results = classify_batch(runner, [text for _, text in chunk])
        for (extra, _), result in zip(chunk, results, strict=True):
            if as_json:
                sys.stdout.write(json_safe(json.dumps(extra | result, ensure_ascii=False)) + "\n")
            else:
                _print_readable(result)
        sys.stdout.flush()


def _read_chunks(path: Path) -> Iterator[list[tuple[dict[str, Any], str]]]:
    """(extra fields, text) per input line, in chunks; JSON Lines when the first non-blank line is an object."""
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        handle = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), where=name) from None
    mode: str | None = None
    chunk: list[tuple[dict[str, Any], str]] = []
    try:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if mode is None and line.strip():
                mode = "jsonl" if line.lstrip().startswith("{") else "text"
            extra: dict[str, Any] = {"line": number}
            text = line
            if mode == "jsonl" and line.strip():
                record = _json_record(line, f"{name}:{number}")
                text = record["text"]
                if "id" in record:
                    extra["id"] = record["id"]
            chunk.append((extra, text))
            if len(chunk) >= _CLASSIFY_CHUNK:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", where=name) from None
    finally:
        if handle is not sys.stdin:
            handle.close()
    if chunk:
        yield chunk


def _json_record(line: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"not a JSON object ({exc.msg})", where=where) from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise InputError("a JSON Lines record needs a string 'text' field", where=where)
    return record


def _print_readable(result: dict[str, Any]) -> None:
    text = result["text"]
    echo(text if len(text) <= 100 else text[:99] + "…")
    if result["status"] != "ok":
        echo(f"  {result['status']}\n")
        return
    echo(f"  {result['label']} ({result['score']:+.2f}), language {result['language']}")
    categories = ", ".join(f"{c} {v['polarity']}" for c, v in result["categories"].items())
    for name, value in (
        ("categories", categories),
        ("emotions", ", ".join(e["emotion"] for e in result["emotions"])),
        ("loyalty", ", ".join(s["signal"] for s in result["loyalty"])),
    ):
        echo(f"  {name + ':':<12}{value or '-'}")
    for n, sentence in enumerate(result["sentences"], start=1):
        echo(f"  {n:>2}. [{sentence['polarity']} {sentence['score']:+.2f}] {sentence['text']}")
        tags = [f"{c} {p}" for c, p in sentence["categories"].items()] + sentence["emotions"] + sentence["loyalty"]
        if tags:
            echo(f"      {' · '.join(tags)}")
    if result["skipped_sentences"]:
        echo(f"  ({result['skipped_sentences']} sentence(s) in another language not scored)")
    echo("")
