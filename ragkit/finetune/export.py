"""Write a PEFT LoRA adapter as a GGUF LoRA file that llama.cpp applies on top of the quantized base (`lora_path`).

Written with the `gguf` package directly rather than llama.cpp's convert_lora_to_gguf.py, which is not on PyPI
(it ships only inside the llama.cpp source tree): a LoRA GGUF is just the adapter metadata plus each lora_A/lora_B
matrix under llama.cpp's tensor name, which gguf's TensorNameMap provides. Architectures whose converter permutes
Q/K weights (llama) would need the same permutation on lora_B, so only architectures without it are accepted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ragkit.errors import ModelError

GGUF_FILE = "adapter.gguf"
# transformers model_type -> llama.cpp architecture, for architectures whose converter keeps Q/K unpermuted.
_ARCHES = {"gemma3_text": "GEMMA3", "gemma3": "GEMMA3", "gemma2": "GEMMA2", "qwen2": "QWEN2", "qwen3": "QWEN3"}
_LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(.+)\.lora_([AB])\.weight$")


def lora_to_gguf(adapter: Path, base_config: Path, out: Path | None = None) -> Path:
    """Convert `adapter` (PEFT directory) for the base whose config.json is `base_config`; returns the GGUF path."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads(base_config.read_text(encoding="utf-8"))
    peft = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    model_type = config.get("model_type", "")
    if model_type not in _ARCHES:
        raise ModelError(f"GGUF export supports {sorted(_ARCHES)}, not model_type {model_type!r}")
    if peft.get("use_dora") or peft.get("use_rslora"):
        raise ModelError("GGUF export supports plain LoRA only (no DoRA or rsLoRA)")
    arch = getattr(gguf.MODEL_ARCH, _ARCHES[model_type])
    names = gguf.get_tensor_name_map(arch, int(config["num_hidden_layers"]))
    out = out or adapter / GGUF_FILE
    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(peft["lora_alpha"]))
    for key, tensor in sorted(load_file(str(adapter / "adapter_model.safetensors")).items()):
        match = _LORA_KEY.match(key)
        target = names.get_name(match.group(1), try_suffixes=(".weight",)) if match else None
        if match is None or target is None:
            raise ModelError(f"cannot map adapter tensor {key!r} to a llama.cpp tensor")
        # numpy (rows, cols) is written as ggml ne (cols, rows): lora_a (r, in) -> (in, r); lora_b (out, r) -> (r, out)
        writer.add_tensor(f"{target}.weight.lora_{match.group(2).lower()}", tensor.astype("float16"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
