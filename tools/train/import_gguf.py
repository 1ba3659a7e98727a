"""Reads a GGUF written by export_gguf.py back into a PyTorch checkpoint (model.py), so that a shipped
model can be fine-tuned again without the intermediate files of the run that made it.

    /usr/bin/python3 tools/train/import_gguf.py models/arith-policy.gguf policy.pt
"""

import argparse
import struct

import numpy as np
import torch

from export_gguf import LAYER_TENSORS
from model import Config, Transformer, load_checkpoint, save_checkpoint

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_DTYPES = {0: np.float32, 1: np.float16}


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.take("<Q")
        s = self.data[self.at : self.at + n].decode("utf-8")
        self.at += n
        return s

    def value(self, kind: int):
        if kind == 8:
            return self.string()
        if kind == 9:
            item, count = self.take("<I"), self.take("<Q")
            return [self.value(item) for _ in range(count)]
        return self.take(_SCALARS[kind])


def read_gguf(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Metadata and tensors (numpy, in PyTorch's (out, in) layout) of a GGUF v2/v3 file."""
    with open(path, "rb") as f:
        r = _Reader(f.read())
    if r.take("<I") != 0x46554747:  # "GGUF"
        raise ValueError(f"{path} is not a GGUF file")
    r.take("<I")  # version
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        kind, offset = r.take("<I"), r.take("<Q")
        infos.append((name, dims, kind, offset))
    align = meta.get("general.alignment", 32)
    base = (r.at + align - 1) // align * align
    tensors = {}
    for name, dims, kind, offset in infos:
        if kind not in _DTYPES:
            raise ValueError(f"tensor {name} has type {kind}; only F32 and F16 are supported")
        count = int(np.prod(dims))
        arr = np.frombuffer(r.data, dtype=_DTYPES[kind], count=count, offset=base + offset)
        tensors[name] = arr.reshape(list(reversed(dims))).astype(np.float32)
    return meta, tensors


def import_gguf(path: str) -> Transformer:
    meta, t = read_gguf(path)
    cfg = Config(
        vocab_size=int(meta["llama.vocab_size"]),
        d_model=int(meta["llama.embedding_length"]),
        n_layers=int(meta["llama.block_count"]),
        n_heads=int(meta["llama.attention.head_count"]),
        d_ff=int(meta["llama.feed_forward_length"]),
        context_length=int(meta["llama.context_length"]),
        rope_base=float(meta["llama.rope.freq_base"]),
        norm_eps=float(meta["llama.attention.layer_norm_rms_epsilon"]),
    )
    state = {"tok_emb.weight": t["token_embd.weight"], "norm.weight": t["output_norm.weight"], "out.weight": t["output.weight"]}
    for i in range(cfg.n_layers):
        for gguf_name, torch_name in LAYER_TENSORS.items():
            state[f"blocks.{i}.{torch_name}"] = t[f"blk.{i}.{gguf_name}.weight"]
    model = Transformer(cfg)
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False)
    missing = [k for k in model.state_dict() if k not in state and not k.endswith(("cos", "sin"))]
    if missing:
        raise ValueError(f"GGUF lacks tensors for {missing}")
    return model


def load_model(path: str) -> Transformer:
    """A model from a GGUF written by export_gguf.py or from a training checkpoint (.pt)."""
    return import_gguf(path) if path.endswith(".gguf") else load_checkpoint(path)[0]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("out")
    a = ap.parse_args()
    save_checkpoint(import_gguf(a.gguf), a.out, {"imported_from": a.gguf})
