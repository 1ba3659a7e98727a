"""A small llama-architecture transformer in PyTorch, written so that it maps 1:1 onto llama.cpp.

RoPE uses llama.cpp's layout for the `llama` architecture (rope type NORM): rotation acts on
adjacent pairs (x[2i], x[2i+1]) of each head with frequency base^(-2i/head_dim). Training in that
layout means the weights export without the Q/K row permutation that HF's rotate-half layout needs.
"""

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int
    d_model: int = 128
    n_layers: int = 5
    n_heads: int = 4
    d_ff: int = 352
    context_length: int = 256
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg: Config, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin of shape (length, head_dim/2) for positions 0..length-1."""
    inv_freq = cfg.rope_base ** (-torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim)
    angles = torch.arange(length, dtype=torch.float32)[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, H, T, hd); rotates adjacent pairs, as llama.cpp's NORM rope does."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)
    return out.flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.attn_norm = RMSNorm(d, cfg.norm_eps)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.norm_eps)
        self.w_gate = nn.Linear(d, cfg.d_ff, bias=False)
        self.w_up = nn.Linear(d, cfg.d_ff, bias=False)
        self.w_down = nn.Linear(cfg.d_ff, d, bias=False)

    def forward(self, x, cos, sin, cache, mask):
        B, T, _ = x.shape
        H, hd = self.cfg.n_heads, self.cfg.head_dim
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, H, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, H, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, H, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            if "k" in cache:
                k = torch.cat((cache["k"], k), dim=2)
                v = torch.cat((cache["v"], v), dim=2)
            cache["k"], cache["v"] = k, v
        att = (q @ k.transpose(-1, -2)) / hd**0.5
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, -1)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Transformer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.out = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg, cfg.context_length)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.apply(self._init)
        # Small residual-branch outputs keep the deep-ish stack stable from the first step.
        for b in self.blocks:
            nn.init.normal_(b.wo.weight, std=0.02 / (2 * cfg.n_layers) ** 0.5)
            nn.init.normal_(b.w_down.weight, std=0.02 / (2 * cfg.n_layers) ** 0.5)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, tokens: torch.Tensor, caches: list[dict] | None = None, pos0: int = 0):
        """tokens (B, T) → logits (B, T, V). With `caches` (one dict per layer), keys/values are
        appended so later calls continue from position `pos0`."""
        T = tokens.shape[1]
        cos, sin = self.cos[pos0 : pos0 + T], self.sin[pos0 : pos0 + T]
        # Causal mask over (new queries) x (cached + new keys); single-token steps need none.
        mask = None
        if T > 1:
            mask = torch.ones(T, pos0 + T, dtype=torch.bool).triu(pos0 + 1)
        x = self.tok_emb(tokens)
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i], mask)
        return self.out(self.norm(x))

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def save_checkpoint(model: Transformer, path: str, extra: dict | None = None) -> None:
    torch.save({"config": model.cfg.to_dict(), "state": model.state_dict(), "extra": extra or {}}, path)


def load_checkpoint(path: str) -> tuple[Transformer, dict]:
    ckpt = torch.load(path, map_location="cpu")
    model = Transformer(Config(**ckpt["config"]))
    model.load_state_dict(ckpt["state"])
    model.eval()
    return model, ckpt.get("extra", {})
