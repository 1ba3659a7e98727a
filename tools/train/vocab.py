"""Character-level vocabulary shared by the policy and the PRM (one tokenizer, one GGUF vocab).

Layout follows SentencePiece/llama conventions so llama.cpp's `llama` tokenizer handles it:
<unk>=0, <s>=1, </s>=2, then the 256 byte-fallback tokens <0x00>..<0xFF> (any character we do not
know still tokenizes), then the task's characters as single-character pieces. There are no
multi-character pieces, so SentencePiece merging never applies and tokenization is one token per
known character. The space piece is U+2581 as SentencePiece writes it.
"""

UNK, BOS, EOS = 0, 1, 2
SPECIALS = ["<unk>", "<s>", "</s>"]
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]
# Task characters; '#' is the PRM step tag, '+'/'-' double as the PRM's good/bad step labels.
CHARS = list("0123456789QA:+-=\n#") + ["\u2581"]

TOKENS = SPECIALS + BYTE_TOKENS + CHARS
FIRST_CHAR_ID = len(SPECIALS) + len(BYTE_TOKENS)
CHAR_TO_ID = {c: FIRST_CHAR_ID + i for i, c in enumerate(CHARS)}
VOCAB_SIZE = len(TOKENS)

# GGUF token types: 1 normal, 2 unknown, 3 control, 6 byte.
TOKEN_TYPES = [2, 3, 3] + [6] * 256 + [1] * len(CHARS)


def encode(text: str) -> list[int]:
    """Text to ids without BOS; unknown characters fall back to their UTF-8 byte tokens."""
    ids: list[int] = []
    for ch in text.replace(" ", "\u2581"):
        if ch in CHAR_TO_ID:
            ids.append(CHAR_TO_ID[ch])
        else:
            ids.extend(len(SPECIALS) + b for b in ch.encode("utf-8"))
    return ids


def decode(ids: list[int]) -> str:
    """Ids to text; special tokens are dropped, byte tokens decoded as UTF-8."""
    out = bytearray()
    for i in ids:
        if i >= FIRST_CHAR_ID:
            out.extend(TOKENS[i].replace("\u2581", " ").encode("utf-8"))
        elif i >= len(SPECIALS):
            out.append(i - len(SPECIALS))
    return out.decode("utf-8", errors="replace")
