"""Exports a trained checkpoint (model.py) to a llama-architecture GGUF that llama.cpp loads.

    /usr/bin/python3 tools/train/export_gguf.py CKPT.pt OUT.gguf --name arith-policy
"""

import argparse

import numpy as np

import vocab
from gguf_writer import Uint32, write_gguf
from model import Transformer, load_checkpoint

# Renders a user message as the task prompt `Q:<content>\n` (content trimmed; a leading `Q:` the user
# already typed is not doubled); system messages are ignored; an assistant message is its content, so
# a transcript continues a solution. The generation prompt adds nothing: the model answers right after
# the question's newline.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}"
    "{%- set q = message['content'] | trim -%}"
    "{%- if q.startswith('Q:') -%}{%- set q = q[2:] | trim -%}{%- endif -%}"
    "{{- 'Q:' + q + '\\n' -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{- message['content'] -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
)


# Per-layer tensors: GGUF name (blk.N.<name>.weight) → model.py name (blocks.N.<name>).
LAYER_TENSORS = {
    "attn_norm": "attn_norm.weight",
    "attn_q": "wq.weight",
    "attn_k": "wk.weight",
    "attn_v": "wv.weight",
    "attn_output": "wo.weight",
    "ffn_norm": "ffn_norm.weight",
    "ffn_gate": "w_gate.weight",
    "ffn_up": "w_up.weight",
    "ffn_down": "w_down.weight",
}


def tensors_of(model: Transformer) -> list[tuple[str, np.ndarray]]:
    """GGUF tensor names and arrays: 2-D weights F16, norm vectors F32. PyTorch's (out, in) Linear
    layout is what llama.cpp expects once the writer reverses the dims."""
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    f16 = lambda a: a.astype(np.float16)  # noqa: E731
    out = [("token_embd.weight", f16(sd["tok_emb.weight"]))]
    for i in range(model.cfg.n_layers):
        for gguf_name, torch_name in LAYER_TENSORS.items():
            arr = sd[f"blocks.{i}.{torch_name}"]
            out.append((f"blk.{i}.{gguf_name}.weight", arr if arr.ndim == 1 else f16(arr)))
    out.append(("output_norm.weight", sd["norm.weight"]))
    out.append(("output.weight", f16(sd["out.weight"])))
    return out


def metadata_of(model: Transformer, name: str, description: str) -> dict:
    c = model.cfg
    return {
        "general.architecture": "llama",
        "general.name": name,
        "general.description": description,
        "general.file_type": Uint32(1),  # mostly F16
        "general.alignment": Uint32(32),
        "llama.context_length": Uint32(c.context_length),
        "llama.embedding_length": Uint32(c.d_model),
        "llama.block_count": Uint32(c.n_layers),
        "llama.feed_forward_length": Uint32(c.d_ff),
        "llama.attention.head_count": Uint32(c.n_heads),
        "llama.attention.head_count_kv": Uint32(c.n_heads),
        "llama.attention.layer_norm_rms_epsilon": float(c.norm_eps),
        "llama.rope.dimension_count": Uint32(c.head_dim),
        "llama.rope.freq_base": float(c.rope_base),
        "llama.vocab_size": Uint32(c.vocab_size),
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": vocab.TOKENS,
        "tokenizer.ggml.scores": [0.0] * 3 + [0.0] * 256 + [-1.0] * len(vocab.CHARS),
        "tokenizer.ggml.token_type": vocab.TOKEN_TYPES,
        "tokenizer.ggml.unknown_token_id": Uint32(vocab.UNK),
        "tokenizer.ggml.bos_token_id": Uint32(vocab.BOS),
        "tokenizer.ggml.eos_token_id": Uint32(vocab.EOS),
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.add_eos_token": False,
        "tokenizer.ggml.add_space_prefix": False,
        "tokenizer.chat_template": CHAT_TEMPLATE,
    }


def export(ckpt: str, out: str, name: str, description: str) -> None:
    model, _ = load_checkpoint(ckpt)
    write_gguf(out, metadata_of(model, name, description), tensors_of(model))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("out")
    ap.add_argument("--name", required=True)
    ap.add_argument("--description", default="")
    a = ap.parse_args()
    export(a.ckpt, a.out, a.name, a.description)
