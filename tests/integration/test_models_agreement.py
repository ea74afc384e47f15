"""Greedy output of transformers and llama.cpp agree on the same GGUF (+ the same LoRA adapter).

transformers runs the dequantized weights in fp32 while llama.cpp multiplies Q4_K weights with 8-bit activations,
so a near-tie can flip a token; most answers must still match exactly.
"""

import pytest

from ragkit.models import ChatLlamaCpp, ChatTransformers
from ragkit.models.presets import adapter_dir
from ragkit.prompts import load as load_prompt

pytestmark = pytest.mark.integration

PASSAGES = [
    ("Mount Kilimanjaro is a dormant volcano in Tanzania and the highest mountain in Africa.",
     "In which country is Kilimanjaro?"),
    ("Marie Curie was the first woman to win a Nobel Prize, for research on radioactivity.",
     "What did Marie Curie research?"),
    ("The Danube flows from the Black Forest into the Black Sea through ten countries.",
     "Where does the Danube end?"),
    ("Venice is built on more than 100 small islands in a lagoon in northeastern Italy.",
     "What is Venice built on?"),
    ("The Great Wall was built to protect Chinese states against nomadic groups from the Eurasian Steppe.",
     "Who was the Great Wall built against?"),
    ("Penguins are flightless seabirds living almost only in the Southern Hemisphere.",
     "Where do penguins live?"),
]


def _answers(model: ChatTransformers | ChatLlamaCpp) -> list[str]:
    prompt = load_prompt("qa-extractive")
    return [str((prompt | model).invoke({"context": f"[1] (doc) {text}", "question": q}).content).strip()
            for text, q in PASSAGES]


@pytest.mark.parametrize("preset", ["gemma3-270m", "gemma3-270m-squad"])
def test_greedy_outputs_agree(preset: str) -> None:
    if preset.endswith("squad"):
        try:
            adapter_dir("gemma3-270m-squad")
        except Exception:
            pytest.skip("the gemma3-270m-squad adapter is not shipped in this checkout")
    llama = _answers(ChatLlamaCpp(model=preset, max_tokens=24))
    hf = _answers(ChatTransformers(model=preset, max_tokens=24))
    same = sum(a == b for a, b in zip(llama, hf))
    print(f"\n{preset}: {same}/{len(PASSAGES)} identical", *zip(llama, hf), sep="\n")
    assert all(llama) and all(hf)
    assert same >= len(PASSAGES) - 2
