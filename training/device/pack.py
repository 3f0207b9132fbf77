"""Pack what the GPU machine needs for the teacher job into chunks that fit its 64 MiB-per-call carry limit.

The lent GPU machine reaches no network and takes at most 64 MiB a call, the repository's tracked files included
(16.4 MiB since the large model is in git). So everything travels as one tar split into chunks of ``--chunk-mib``
(default 46), one folder per chunk, one ``device`` call per chunk. The tar holds:

    mpnet-int8.safetensors   the 438 MB mpnet teacher as int8 rows with one fp32 scale each (104 MiB); the teacher
                             is trained on the dequantised weights and its low-rank difference is applied to the
                             exact ones here
    mpnet-files/             mpnet's config and tokenizer
    minilm4/                 the student's MiniLM: its bottom 4 layers in bf16, word embeddings as int8 rows
                             (frozen in training), config cut to 4 layers
    data.tar.xz              ../shared/data
    sentencex-*.whl          the segmenter the unlabelled pool needs, for the machine's Python 3.12

    python training/device/pack.py --shared ../shared --wheels /tmp/whl     # -> build/device/c1, c2, ...
"""

from __future__ import annotations

import argparse
import json
import shutil
import tarfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from reviewmine.nlp.large_encoder import installed_path
from reviewmine.nlp.model import default_encoder_path

SMALL_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
STUDENT_LAYERS = 4


def quantise(tensors: dict[str, torch.Tensor], keep: str = "") -> dict[str, torch.Tensor]:
    """2-D weights as int8 rows + fp32 row scales (name + '.scale'), except names containing ``keep`` (bf16)."""
    out = {}
    for name, value in tensors.items():
        if keep and keep in name and value.is_floating_point():
            out[name] = value.to(torch.bfloat16).contiguous()
        elif value.ndim == 2 and value.numel() > 100_000:
            scale = value.abs().amax(1).clamp(min=1e-12) / 127.0
            out[name] = torch.round(value / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            out[name + ".scale"] = scale.float().contiguous()
        else:
            out[name] = value.contiguous()
    return out


def student_encoder(folder: Path) -> None:
    """The bottom STUDENT_LAYERS layers of the packaged MiniLM in bf16, word embeddings as int8 rows."""
    minilm = default_encoder_path()
    kept = {}
    for name, value in load_file(str(minilm / "model.safetensors")).items():
        plain = name.removeprefix("bert.")
        if plain.startswith("encoder.layer.") and int(plain.split(".")[2]) >= STUDENT_LAYERS:
            continue
        kept[name] = value
    folder.mkdir(parents=True)
    save_file(quantise(kept, keep="encoder.layer."), str(folder / "model.safetensors"))
    for path in minilm.iterdir():
        if path.is_file() and path.suffix in {".json", ".txt"}:
            shutil.copy2(path, folder / path.name)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"num_hidden_layers": STUDENT_LAYERS}, indent=2))


def main() -> None:
    """Write the payload tar and split it into chunk folders under --out."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the cp312 sentencex wheel")
    parser.add_argument("--out", type=Path, default=Path("build/device"))
    parser.add_argument("--chunk-mib", type=float, default=46.0)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    payload = args.out / "payload"
    payload.mkdir(parents=True)

    mpnet = installed_path()
    save_file(quantise(load_file(str(mpnet / "model.safetensors"))), str(payload / "mpnet-int8.safetensors"))
    (payload / "mpnet-files").mkdir()
    for name in SMALL_FILES:
        shutil.copy2(mpnet / name, payload / "mpnet-files" / name)
    student_encoder(payload / "minilm4")
    with tarfile.open(payload / "data.tar.xz", "w:xz") as tar:
        tar.add(args.shared / "data", arcname="data")
    for wheel in args.wheels.glob("sentencex-*cp312*.whl"):
        shutil.copy2(wheel, payload / wheel.name)

    whole = args.out / "payload.tar"
    with tarfile.open(whole, "w") as tar:
        tar.add(payload, arcname="payload")
    chunk = int(args.chunk_mib * 2**20)
    with whole.open("rb") as source:
        index = 1
        while block := source.read(chunk):
            folder = args.out / f"c{index}"
            folder.mkdir()
            (folder / f"payload.tar.{index:03d}").write_bytes(block)
            print(f"c{index}: {len(block) / 2**20:.1f} MiB")
            index += 1
    whole.unlink()
    shutil.rmtree(payload)


if __name__ == "__main__":
    main()
