"""Reaching Ray for `reviewmine analyze --engine ray`, and the checks that must pass before any work.

`RayCluster` uses this process's Ray connection (a notebook's), joins the cluster at ``--address``, or starts a local
instance (and shuts it down after). Entering it checks what would otherwise hang or fail late: the address must
answer (Ray itself retries an unreachable head for minutes), the cluster must have the CPUs and GPUs the actors ask
for, and every node that could host an actor must be able to read the model and import the nlp extra. Each
problem is one InputError line, raised before a review is tagged.
"""

from __future__ import annotations

import logging
import os
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, ReviewmineError
from .inference import DEFAULT_MODEL, read_model_version

__all__ = ["RayCluster", "RayEngineError", "RaySettings", "first_line"]

CONNECT_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 120.0
_WEIGHTS = "model.safetensors"  # model.WEIGHTS_FILE, named here so the probe does not import torch


class RayEngineError(ReviewmineError):
    """The Ray run failed (a worker error Ray could not recover from): one line, exit 1."""


@dataclass(frozen=True, slots=True)
class RaySettings:
    """How to reach Ray and what each actor runs; ``None`` actors: as many as the cluster's resources fit."""

    address: str | None = None
    actors: int | None = None
    gpus_per_actor: float = 0.0
    model: str | None = None
    encoder: str | None = None
    precision: str = "auto"
    batch_size: int = 32  # sentences per model batch, in each actor
    chunk_size: int = 512  # reviews per Ray batch, and per committed transaction
    compile: bool = False

    def model_ref(self) -> str:
        """The model as the workers should look it up: an absolute path for a folder, else the name (each node
        resolves a name along its own search path, e.g. <prefix>/share/reviewmine/models in its image)."""
        name = self.model or DEFAULT_MODEL
        folder = Path(name).expanduser()
        return str(folder.resolve()) if folder.is_dir() else name


class RayCluster:
    """A checked Ray connection for one run: this process's own (a notebook's), the cluster at ``--address``, or a
    local instance started here (and shut down on exit).

    Entering checks, before any work: the address answers; the cluster has the CPUs and GPUs the actors need
    (``actors`` is then the pool size); every node that could host an actor can read the model.
    """

    def __init__(self, settings: RaySettings, version: str, *, reserve_cpus: int = 0) -> None:
        self.settings, self.version, self.reserve_cpus = settings, version, reserve_cpus
        self.started = False
        self.actors = 0

    def __enter__(self) -> RayCluster:
        import ray

        settings = self.settings
        # A CLI run does not phone home unless asked to, and Ray's own log lines stay in its log files (errors reach
        # the user as exceptions): set these variables to have them back.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
        quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
        if settings.address:
            _check_reachable(settings.address)
        if not ray.is_initialized():
            try:
                if settings.address:
                    ray.init(address=settings.address, **quiet)
                else:
                    cpus = (settings.actors or _usable_cores()) + self.reserve_cpus
                    ray.init(num_cpus=cpus, include_dashboard=False, **quiet)
                    self.started = True
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"--address {settings.address}" if settings.address else "ray"
                raise InputError(f"cannot connect to Ray: {first_line(exc)}", where=where) from None
        try:
            self.actors = _plan_actors(settings, self.reserve_cpus)
            _probe_workers(settings, settings.model_ref(), self.version)
        except BaseException:
            self.close()
            raise
        _quiet_ray_data()
        return self

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
            self.started = False

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map_options(self, batch_size: int, lake: bool = False) -> dict[str, Any]:
        """``map_batches`` arguments for a pool of `TaggerActor` sized for this cluster."""
        import ray.data

        gpus = self.settings.gpus_per_actor
        return {
            "fn_constructor_kwargs": {
                "settings": self.settings, "model_ref": self.settings.model_ref(), "version": self.version,
                "lake": lake,
            },
            "compute": ray.data.ActorPoolStrategy(size=self.actors), "num_cpus": 1, "batch_size": batch_size,
            "batch_format": "pyarrow", **({"num_gpus": gpus} if gpus else {}),
        }  # fmt: skip


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def first_line(exc: BaseException) -> str:
    """The first non-blank line of an exception's message: Ray's errors carry whole remote tracebacks."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _check_reachable(address: str) -> None:
    """A TCP connect to ``host:port`` first: Ray itself retries an unreachable head for minutes."""
    if address == "auto":
        return
    target = address.split("://", 1)[-1].rstrip("/")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise InputError("expected HOST:PORT (or ray://HOST:PORT, or auto)", where="--address")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__.replace("Error", "").lower() or "no answer"
        raise InputError(f"no Ray cluster answers there ({reason})", where=f"--address {address}") from None


def _plan_actors(settings: RaySettings, reserve_cpus: int) -> int:
    """How many actors to start: ``settings.actors``, or as many as fit; an error if they cannot all fit.

    Each actor takes one CPU (and ``gpus_per_actor`` GPUs on the same node); ``reserve_cpus`` stay free for Ray
    Data's own reading and writing tasks (lake mode), which would otherwise wait behind the actors forever.
    """
    import ray

    gpus = settings.gpus_per_actor
    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    total_cpus = sum(node.get("CPU", 0.0) for node in nodes)
    total_gpus = sum(node.get("GPU", 0.0) for node in nodes)
    if gpus:
        most = max((node.get("GPU", 0.0) for node in nodes), default=0.0)
        if most < gpus:
            has = f"{total_gpus:g} GPUs, at most {most:g} on one node" if total_gpus else "no GPUs"
            asked = f"{gpus:g} GPU{'' if gpus == 1 else 's'} per actor asked for"
            raise InputError(f"{asked}, the Ray cluster has {has}", where="--gpus-per-actor")
    fit = sum(min(int(node.get("CPU", 0.0)), int(node.get("GPU", 0.0) // gpus) if gpus else 1 << 30) for node in nodes)
    fit = min(fit, int(total_cpus) - reserve_cpus)
    actors = settings.actors or fit
    if actors < 1 or actors > fit:
        need = f"{actors} actors need {actors} CPUs" + (f" and {actors * gpus:g} GPUs" if gpus else "")
        spare = f" plus {reserve_cpus} for reading and writing" if reserve_cpus else ""
        has = f"{total_cpus:g} CPUs" + (f" and {total_gpus:g} GPUs" if gpus else "")
        raise InputError(f"{need}{spare}; the Ray cluster has {has}", where="--gpus-per-actor" if gpus else "--actors")
    return actors


def _probe_worker(model_ref: str, version: str, encoder: str | None, gpu: bool = False) -> str | None:
    """On a worker node: why an actor could not load the model there, or None (reads files; imports torch only to
    see that a GPU it was given is usable)."""
    from ..extras import missing_modules
    from .inference import resolve_model_dir

    missing = missing_modules("nlp")
    if missing:
        return f"the nlp extra is not installed there ({', '.join(missing)} not importable)"
    weights = Path(model_ref) / _WEIGHTS
    try:
        folder = resolve_model_dir(model_ref)
        found = read_model_version(folder)
        weights = folder / _WEIGHTS
        with weights.open("rb") as handle:
            handle.read(16)
    except InputError as exc:
        return str(exc)
    except OSError as exc:
        return f"{weights}: cannot read the model weights ({exc.strerror or exc})"
    if found != version:
        return f"the model there is {found}, not {version}"
    if encoder and not Path(encoder).is_dir():
        return f"{encoder}: encoder folder not found"
    if gpu:
        import torch

        if not torch.cuda.is_available():
            return f"it has a GPU, but torch {torch.__version__} there sees no CUDA device (a CPU-only build?)"
    return None


def _probe_workers(settings: RaySettings, model_ref: str, version: str) -> None:
    """Run `_probe_worker` once on every node that can host an actor; the first problem is the error."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    gpus = settings.gpus_per_actor
    nodes = [
        node for node in ray.nodes()
        if node.get("Alive") and node["Resources"].get("CPU", 0) >= 1 and node["Resources"].get("GPU", 0) >= gpus
    ]  # fmt: skip
    probe = ray.remote(num_cpus=0, num_gpus=gpus, max_retries=0)(_probe_worker)  # a GPU as an actor gets one
    refs = {
        probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(
            model_ref, version, settings.encoder, bool(gpus)
        ): node.get("NodeManagerAddress", node["NodeID"])
        for node in nodes
    }
    ready, waiting = ray.wait(list(refs), num_returns=len(refs), timeout=PROBE_TIMEOUT_S)
    if waiting:
        raise InputError(f"node {refs[waiting[0]]} did not answer within {PROBE_TIMEOUT_S:.0f} s", where="ray")
    for ref in ready:
        try:
            problem = ray.get(ref)
        except ray.exceptions.RayError as exc:
            problem = f"cannot run reviewmine there: {first_line(exc.cause if hasattr(exc, 'cause') else exc)}"
        if problem:
            raise InputError(f"worker node {refs[ref]}: {problem}", where="--model")


def _quiet_ray_data() -> None:
    """Ray Data logs every execution and draws progress bars on stderr; the CLI has its own progress and log."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    # a run with fewer chunks than actors leaves some idle, as it should
    warnings.filterwarnings("ignore", message="The minimum number of concurrent actors", category=UserWarning)
