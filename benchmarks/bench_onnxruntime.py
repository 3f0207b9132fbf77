"""ONNX Runtime for the tagging stage: the default model exported to ONNX, run fp32 (with and without
onnxruntime's transformer fusions), with dynamic int8 and with static int8, against torch bf16, in interleaved rounds.

Issue 20 names ONNX Runtime's int8 kernels (VNNI/AMX) as a way to cheaper FLOPs. onnxruntime and onnx are not
project dependencies; install them into the environment first (`pip install onnxruntime onnx`). The export runs
the model's own forward (encoder and heads), so only the engine differs; agreement is with torch fp32.
Static int8 (QDQ, per-channel int8 weights, uint8 activations with MinMax ranges) calibrates its activation scales
on other reviews than the workload's (another seed). Its variant on the fused graph quantises only the matrix products
outside the fused attention and runs them through dequantise-then-fp32, so it is measured on the plain graph.

    .venv/bin/python benchmarks/bench_onnxruntime.py --reviews 300 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_nlp_speed import agreement, interleaved, run_stage, workload  # noqa: E402
from machine import describe  # noqa: E402

from reviewmine.nlp.inference import Predictor, load_tagger  # noqa: E402
from reviewmine.nlp.segment import clean_text, split_sentences  # noqa: E402

KEYS = ("category", "category_polarity", "polarity", "emotion", "loyalty", "review", "ekman")


class _Calibration:
    """Hands static quantisation its calibration batches (input ids and mask), one at a time."""

    def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
        self.rows = iter(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.rows, None)


def export(tagger: Any, folder: Path, calibration: list[dict[str, np.ndarray]]) -> dict[str, Path]:
    """The (fp32, eval-mode) model as ONNX (plain), with onnxruntime's BERT fusions, those with dynamic int8 weights,
    and the plain graph quantised statically on ``calibration`` (batches of other reviews' sentences)."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.transformers.optimizer import optimize_model

    class Outputs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tagger = tagger

        def forward(self, ids: Any, mask: Any) -> tuple[Any, ...]:
            out = self.tagger(ids, mask)
            return tuple(out[key] for key in KEYS)

    ids = torch.randint(1000, 2000, (4, 12))
    axes = {"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}} | {key: {0: "b"} for key in KEYS}
    files = {name: folder / f"{name}.onnx" for name in ("plain", "fused", "int8", "static int8")}
    names = {"input_names": ["input_ids", "attention_mask"], "output_names": list(KEYS), "dynamic_axes": axes}
    inputs = (ids, torch.ones_like(ids))
    # eval(): the exporter puts the wrapper back in the mode it had, and that reaches the shared model's dropout
    torch.onnx.export(Outputs().eval(), inputs, str(files["plain"]), dynamo=False, opset_version=17, **names)
    config = tagger.encoder.config
    fused = optimize_model(str(files["plain"]), model_type="bert", num_heads=config.num_attention_heads,
                           hidden_size=config.hidden_size)  # fmt: skip
    matched = {k: v for k, v in fused.get_fused_operator_statistics().items() if v}
    print(f"fusions   {matched}")
    fused.save_model_to_file(str(files["fused"]))
    quantize_dynamic(str(files["fused"]), str(files["int8"]), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})  # fmt: skip
    quantize_static(str(files["plain"]), str(files["static int8"]), _Calibration(calibration),
                    quant_format=QuantFormat.QDQ, per_channel=True, op_types_to_quantize=["MatMul"],
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)  # fmt: skip
    return files


class OrtTagger:
    """Stands in for the torch model inside `Predictor`: same inputs, same output dict."""

    def __init__(self, file: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])

    def __call__(self, ids: Any, mask: Any) -> dict[str, Any]:
        import torch

        feed = {"input_ids": ids.numpy().astype(np.int64), "attention_mask": mask.numpy().astype(np.int64)}
        return {key: torch.from_numpy(v) for key, v in zip(KEYS, self.session.run(None, feed), strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="runs per engine and round (the median counts)")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    parser.add_argument("--model", default=None, help="model folder or name (default: reviewmine-tagger)")
    args = parser.parse_args()
    try:
        import onnxruntime
    except ImportError:
        sys.exit("onnxruntime is not installed: pip install onnxruntime onnx")

    texts, origin = workload(args.reviews, 13)
    print(f"machine   {describe()}; onnxruntime {onnxruntime.__version__}")
    print(f"workload  {len(texts)} reviews: {origin}; medians of {args.repeats} runs per engine and round")
    with tempfile.TemporaryDirectory() as tmp:
        # One fp32 model serves the reference, the export and the tokenising and decisions of the ONNX engines;
        # the bf16 predictor converts its model in place, so it gets its own.
        fp32 = Predictor(load_tagger(args.model), precision="fp32")
        other, _ = workload(200, 29)
        _, _, ids = fp32.pieces([s for t in other for s in split_sentences(clean_text(t))])
        ids.sort(key=len)  # batches of similar length, padded as the runtime pads them
        batches = (fp32._tensors(ids[i : i + 32]) for i in range(0, len(ids), 32))
        calibration = [{"input_ids": tokens.numpy(), "attention_mask": mask.numpy()} for tokens, mask in batches]
        files = export(fp32.tagger, Path(tmp), calibration)
        reference = run_stage(fp32, texts)
        engines = {"torch bf16": Predictor(load_tagger(args.model), precision="bf16")}
        for name, file in files.items():
            engines[f"ort {name}"] = Predictor(fp32.tagger, precision="fp32")
            engines[f"ort {name}"].tagger = OrtTagger(file, args.threads)
        rates, batches = interleaved(engines, texts, args.rounds, args.repeats)
    print("\nengine           reviews/s  identical sentences  polarity decisions  category polarity  max prob diff")
    for name, batch in batches.items():
        agree = agreement(reference, batch)
        print(f"{name:<17}{statistics.median(rates[name]):>9.1f}{agree['sentences_identical']:>21.1%}"
              f"{agree['polarity']:>20.2%}{agree['category_polarity']:>19.2%}"
              f"{agree['max_prob_diff']:>15.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
