"""Pack what the GPU machine needs for the teacher job into shards that fit its 64 MiB-per-call carry limit.

The lent GPU machine reaches no network and takes at most 64 MiB of carried files a call (the repository
included), so the 438 MB mpnet teacher travels as int8 rows with one scale each (104 MiB, in two shards; the
teacher is trained on the dequantised weights and its low-rank difference is applied to the exact ones here) and
the student's MiniLM as its bottom 4 layers in fp32 with fp16 embeddings (frozen in training). Shards:

    build/device/p1  mpnet int8, first half
    build/device/p2  mpnet int8, second half + the mpnet folder's small files + ../shared/data (tar.xz)
                     + the sentencex wheel for Python 3.12 (the segmenter the unlabelled pool needs)
    build/device/p3  MiniLM bottom 4 layers

    python training/device/pack.py --shared ../shared --wheels /tmp/whl
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


def quantise(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """2-D weights as int8 rows + fp32 row scales (name + '.scale'); everything else as it is."""
    out = {}
    for name, value in tensors.items():
        if value.ndim == 2 and value.numel() > 100_000:
            scale = value.abs().amax(1).clamp(min=1e-12) / 127.0
            out[name] = torch.round(value / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            out[name + ".scale"] = scale.float().contiguous()
        else:
            out[name] = value.contiguous()
    return out


def main() -> None:
    """Write the three shards under --out."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the cp312 sentencex wheel")
    parser.add_argument("--out", type=Path, default=Path("build/device"))
    args = parser.parse_args()
    for part in ("p1", "p2", "p3"):
        shutil.rmtree(args.out / part, ignore_errors=True)
        (args.out / part).mkdir(parents=True)

    mpnet = installed_path()
    packed = quantise(load_file(str(mpnet / "model.safetensors")))
    names = sorted(packed, key=lambda n: (n.removesuffix(".scale"), n))
    half, size, first = sum(v.nbytes for v in packed.values()) / 2, 0, {}
    for name in names:
        if size < half or (name.endswith(".scale") and name.removesuffix(".scale") in first):
            first[name] = packed[name]
            size += packed[name].nbytes
    save_file(first, str(args.out / "p1" / "mpnet-int8-a.safetensors"))
    save_file({k: v for k, v in packed.items() if k not in first}, str(args.out / "p2" / "mpnet-int8-b.safetensors"))
    small = args.out / "p2" / "mpnet-files"
    small.mkdir()
    for name in SMALL_FILES:
        shutil.copy2(mpnet / name, small / name)
    with tarfile.open(args.out / "p2" / "data.tar.xz", "w:xz") as tar:
        tar.add(args.shared / "data", arcname="data")
    for wheel in args.wheels.glob("sentencex-*cp312*.whl"):
        shutil.copy2(wheel, args.out / "p2" / wheel.name)

    minilm = default_encoder_path()
    student = {}
    for name, value in load_file(str(minilm / "model.safetensors")).items():
        plain = name.removeprefix("bert.")
        if plain.startswith("encoder.layer."):
            if int(plain.split(".")[2]) >= STUDENT_LAYERS:
                continue
            student[name] = value.float().contiguous()
        elif plain.startswith("embeddings.word_embeddings"):
            student[name] = value.to(torch.float16).contiguous()
        else:
            student[name] = value.contiguous()
    folder = args.out / "p3" / "minilm4"
    folder.mkdir()
    save_file(student, str(folder / "model.safetensors"))
    for path in minilm.iterdir():
        if path.is_file() and path.suffix in {".json", ".txt"}:
            shutil.copy2(path, folder / path.name)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"num_hidden_layers": STUDENT_LAYERS}, indent=2))
    for part in ("p1", "p2", "p3"):
        total = sum(f.stat().st_size for f in (args.out / part).rglob("*") if f.is_file())
        print(f"{part}: {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
