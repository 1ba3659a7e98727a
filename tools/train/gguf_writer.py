"""Minimal GGUF v3 writer (no pip package is reachable here) and the llama-arch export of our model.

File layout: header (magic, version, tensor count, kv count), metadata key/values, tensor infos
(name, dims reversed relative to numpy — GGUF lists the fastest-varying dimension first — type,
offset), padding to the alignment, then the tensor data, each tensor starting at an aligned offset.
"""

import struct

import numpy as np

ALIGNMENT = 32
GGML_F32, GGML_F16 = 0, 1

# Metadata value type ids.
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9


class Uint32(int):
    """Marks an int metadata value to be written as uint32 (the default int type is int32)."""


def _string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _scalar(value) -> tuple[int, bytes]:
    """(type id, payload) of a scalar; the type follows the Python type."""
    if isinstance(value, bool):
        return T_BOOL, struct.pack("<?", value)
    if isinstance(value, Uint32):
        return T_UINT32, struct.pack("<I", value)
    if isinstance(value, int):
        return T_INT32, struct.pack("<i", value)
    if isinstance(value, float):
        return T_FLOAT32, struct.pack("<f", value)
    if isinstance(value, str):
        return T_STRING, _string(value)
    raise TypeError(f"unsupported metadata value {value!r}")


def _value(value) -> tuple[int, bytes]:
    if isinstance(value, list):
        elem_type = _scalar(value[0])[0]
        payload = b"".join(_scalar(v)[1] for v in value)
        return T_ARRAY, struct.pack("<IQ", elem_type, len(value)) + payload
    return _scalar(value)


def _pad(n: int) -> int:
    return (ALIGNMENT - n % ALIGNMENT) % ALIGNMENT


def write_gguf(path: str, metadata: dict, tensors: list[tuple[str, np.ndarray]]) -> None:
    """Writes `tensors` (float32 or float16 numpy arrays, C order) with `metadata` to `path`."""
    kv = b""
    for key, value in metadata.items():
        type_id, payload = _value(value)
        kv += _string(key) + struct.pack("<I", type_id) + payload

    infos, blobs, offset = b"", [], 0
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        ggml_type = {np.dtype(np.float32): GGML_F32, np.dtype(np.float16): GGML_F16}[arr.dtype]
        dims = arr.shape[::-1]
        infos += _string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", ggml_type, offset)
        data = arr.tobytes()
        blobs.append(data + b"\0" * _pad(len(data)))
        offset += len(blobs[-1])

    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    head = header + kv + infos
    with open(path, "wb") as f:
        f.write(head + b"\0" * _pad(len(head)))
        for blob in blobs:
            f.write(blob)
