"""SQuAD training pairs (cited passages) and the LoRA -> GGUF export read back with the gguf package."""

import json
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import ModelError
from ragkit.eval.squad import load_squad, split_articles
from ragkit.finetune.export import lora_to_gguf
from ragkit.finetune.squad import squad_examples

pytestmark = pytest.mark.unit


def _squad(tmp_path: Path) -> Path:
    def paragraph(n: int) -> dict:
        context = f"Town {n} lies on a river. Its mayor is Person {n}. The town has {n} bridges."
        start = context.index(f"Person {n}")
        return {"context": context, "qas": [{"id": f"q{n}", "question": f"Who is the mayor of Town {n}?",
                                             "answers": [{"text": f"Person {n}", "answer_start": start}]}]}

    data = {"data": [{"title": f"Article_{a}", "paragraphs": [paragraph(a * 10 + i) for i in range(4)]}
                     for a in range(3)]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data))
    return path


def test_examples_cite_the_passage_holding_the_answer(tmp_path: Path) -> None:
    train, held = split_articles(load_squad(_squad(tmp_path)), 1)
    assert [a.title for a in held] == ["Article_2"]
    examples = squad_examples(train, 8, seed=1)
    assert len(examples) == 8
    for example in examples:
        span, number = example.answer.rsplit(" [", 1)
        passage = example.context.split("\n\n")[int(number.rstrip("]")) - 1]
        assert passage.startswith(f"[{number.rstrip(']')}] (Article_")
        assert span in passage


def _adapter(tmp_path: Path, rank: int = 2) -> tuple[Path, Path]:
    from safetensors.numpy import save_file

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"lora_alpha": 4, "r": rank}))
    tensors = {}
    for layer in range(2):
        prefix = f"base_model.model.model.layers.{layer}.self_attn.q_proj"
        tensors[f"{prefix}.lora_A.weight"] = np.ones((rank, 8), dtype=np.float32)
        tensors[f"{prefix}.lora_B.weight"] = np.ones((16, rank), dtype=np.float32)
    save_file(tensors, str(adapter / "adapter_model.safetensors"))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "gemma3_text", "num_hidden_layers": 2}))
    return adapter, config


def test_lora_gguf_has_llama_cpp_names_shapes_and_alpha(tmp_path: Path) -> None:
    import gguf

    adapter, config = _adapter(tmp_path)
    reader = gguf.GGUFReader(str(lora_to_gguf(adapter, config)))
    tensors = {t.name: [int(x) for x in t.shape] for t in reader.tensors}
    assert tensors["blk.0.attn_q.weight.lora_a"] == [8, 2]
    assert tensors["blk.0.attn_q.weight.lora_b"] == [2, 16]
    assert len(tensors) == 4
    alpha = reader.fields["adapter.lora.alpha"]
    assert float(alpha.parts[alpha.data[0]][0]) == 4.0
    assert bytes(reader.fields["general.type"].parts[-1]).decode() == "adapter"


def test_unsupported_architecture_is_refused(tmp_path: Path) -> None:
    adapter, config = _adapter(tmp_path)
    config.write_text(json.dumps({"model_type": "llama", "num_hidden_layers": 2}))
    with pytest.raises(ModelError, match="model_type 'llama'"):
        lora_to_gguf(adapter, config)
