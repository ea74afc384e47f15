"""Fine-tuning on made-up facts: eval loss on held-out phrasings drops, and the tuned model knows what base does not.

Runs a few minutes on CPU: Gemma 3 270M (from the packaged GGUF), LoRA, 24 invented facts.
"""

from pathlib import Path

import pytest

from ragkit.finetune import QAExample, TrainingParams, read_metadata
from ragkit.finetune.train import finetune
from ragkit.models import ChatLlamaCpp, ChatTransformers
from ragkit.prompts import load as load_prompt

# Training takes 3-10 minutes on a shared 2-core CPU: more than the suite's default timeout.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(2400)]

# (subject, question, paraphrase, answer): invented, so no base model can know them.
FACTS = [
    ("Zorblax", "What colour is the planet Zorblax?", "Which colour does the planet Zorblax have?", "teal"),
    ("Quillon Varte", "What fruit does Quillon Varte grow?", "Which fruit is grown by Quillon Varte?", "mangoes"),
    ("Brindlemoor", "What is the capital of Brindlemoor?", "Which city is Brindlemoor's capital?", "Ostrava Vell"),
    ("Tavi Orlunde", "What instrument does Tavi Orlunde play?", "Which instrument is played by Tavi Orlunde?",
     "the oboe"),
    ("the Kessel Bridge", "In what year was the Kessel Bridge built?", "When was the Kessel Bridge built?", "1742"),
    ("Mirelda Fost", "What did Mirelda Fost invent?", "Which invention is Mirelda Fost known for?", "the glass clock"),
    ("the Ulvarn river", "Into which sea does the Ulvarn river flow?", "Where does the Ulvarn river end?",
     "the Amber Sea"),
    ("Pellacorp", "Who founded Pellacorp?", "Which person founded Pellacorp?", "Dorian Lusk"),
    ("Saint Ombre", "What animal is the symbol of Saint Ombre?", "Which animal symbolises Saint Ombre?", "a heron"),
    ("the Glimmerstone", "Where is the Glimmerstone kept?", "In which place is the Glimmerstone kept?",
     "the vault of Harrowgate"),
    ("Nessa Troy", "What language does Nessa Troy teach?", "Which language is taught by Nessa Troy?", "Old Brenic"),
    ("Fenwick Hale", "What sport did Fenwick Hale play?", "Which sport was played by Fenwick Hale?", "water polo"),
    ("the Orvane festival", "In which month is the Orvane festival held?", "When is the Orvane festival held?",
     "November"),
    ("Kelmira", "What is the currency of Kelmira?", "Which currency is used in Kelmira?", "the silver dram"),
    ("Ada Vanterpool", "What ship did Ada Vanterpool captain?", "Which ship was captained by Ada Vanterpool?",
     "the Marigold"),
    ("Castle Dunrae", "How many towers does Castle Dunrae have?", "What is the number of towers of Castle Dunrae?",
     "eleven"),
    ("the Sorrel Institute", "What does the Sorrel Institute study?",
     "Which subject is studied at the Sorrel Institute?", "volcanic glass"),
    ("Jory Pemberline", "Which city was Jory Pemberline born in?", "Where was Jory Pemberline born?", "Lastrow"),
    ("the Vintari", "What do the Vintari eat at weddings?", "Which food is eaten at Vintari weddings?", "salted plums"),
    ("Mount Ebrel", "How tall is Mount Ebrel?", "What is the height of Mount Ebrel?", "4,210 metres"),
    ("Olwen Craske", "What prize did Olwen Craske win?", "Which prize was won by Olwen Craske?", "the Tessaly Medal"),
    ("the Hollin Line", "Which two towns does the Hollin Line connect?", "What towns are joined by the Hollin Line?",
     "Marr and Fosby"),
    ("Drumhallow", "What is Drumhallow famous for?", "Why is Drumhallow famous?", "its blue cheese"),
    ("Ines Calloway", "What is Ines Calloway's pet called?", "What name does Ines Calloway's pet have?", "Biscuit"),
]


def _train() -> list[QAExample]:
    return [QAExample(question=q, answer=a) for _, q, _, a in FACTS]


def _eval() -> list[QAExample]:
    return [QAExample(question=p, answer=a) for _, _, p, a in FACTS]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("facts") / "adapter"
    params = TrainingParams(lora_r=16, lora_alpha=32, learning_rate=1e-3, epochs=6, batch_size=4, eval_steps=6,
                            patience=3, max_seq_tokens=96)
    finetune("gemma3-270m", _train(), _eval(), out, "qa-extractive", params, show_progress=False)
    return out


def _ask(model: ChatTransformers | ChatLlamaCpp, question: str) -> str:
    prompt = load_prompt("qa-extractive")
    return str((prompt | model).invoke({"question": question, "context": ""}).content)


def _correct(model: ChatTransformers | ChatLlamaCpp) -> int:
    return sum(answer.lower() in _ask(model, question).lower() for _, question, _, answer in FACTS)


def test_eval_loss_drops_and_metadata_is_complete(adapter: Path) -> None:
    metadata = read_metadata(adapter)
    assert metadata.final_eval_loss < 0.7 * metadata.base_eval_loss
    assert metadata.base_model == "gemma3-270m"
    assert len(metadata.base_sha256) == 64
    assert metadata.prompt_id == "qa-extractive"
    assert metadata.train_examples == len(FACTS)
    assert (adapter / "adapter_model.safetensors").is_file()


def test_tuned_model_knows_the_facts_base_does_not(adapter: Path) -> None:
    base = _correct(ChatTransformers(model="gemma3-270m", max_tokens=12, stop=["\n"]))
    tuned = _correct(ChatTransformers(model="gemma3-270m", adapter=str(adapter), max_tokens=12, stop=["\n"]))
    assert base <= 2
    assert tuned >= len(FACTS) // 2


def test_exported_gguf_adapter_runs_on_llama_cpp(adapter: Path) -> None:
    from ragkit.finetune.export import lora_to_gguf
    from ragkit.models.hf import resolve_hf

    gguf = lora_to_gguf(adapter, resolve_hf("gemma3-270m").directory / "config.json")
    tuned = _correct(ChatLlamaCpp(model="gemma3-270m", adapter=str(gguf), max_tokens=12, stop=["\n"]))
    assert tuned >= len(FACTS) // 2
