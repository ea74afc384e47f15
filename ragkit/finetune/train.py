"""LoRA fine-tuning with transformers' Trainer and peft: eval loss every N steps, early stopping, best adapter kept.

The Trainer supplies the progress bar, periodic evaluation, checkpointing and early stopping; ragkit adds the
prompt rendering shared with serving, the base-model identity check and the adapter metadata.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from ragkit.errors import ModelError
from ragkit.finetune.data import QAExample, encode
from ragkit.models.adapter import AdapterMetadata, TrainingParams, write_metadata
from ragkit.models.hf import device, load_model, resolve_hf
from ragkit.prompts import load as load_prompt

log = logging.getLogger(__name__)


def _qlora_available(params: TrainingParams, device_name: str) -> bool:
    """QLoRA only on CUDA with bitsandbytes installed; otherwise plain LoRA."""
    if not params.qlora or device_name != "cuda":
        return False
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        log.warning("bitsandbytes is not installed: training plain LoRA instead of QLoRA")
        return False
    return True


def _encode_all(template: Any, examples: list[QAExample], tokenizer: Any, chat: bool,
                max_tokens: int) -> list[dict[str, list[int]]]:
    """Encoded examples, leaving out those longer than max_tokens (cutting them would lose the prompt's head)."""
    encoded = [encode(template, e, tokenizer, chat) for e in examples]
    kept = [e for e in encoded if len(e["input_ids"]) <= max_tokens]
    if len(kept) < len(encoded):
        log.warning("left out %d of %d examples longer than %d tokens", len(encoded) - len(kept), len(encoded),
                    max_tokens)
    if not kept:
        raise ModelError(f"every example is longer than {max_tokens} tokens: raise --max-seq-tokens")
    return kept


def finetune(base: str | None, train: list[QAExample], evaluation: list[QAExample], out: Path,
             prompt_id: str = "qa-extractive", params: TrainingParams | None = None,
             notes: dict[str, Any] | None = None, show_progress: bool = True) -> AdapterMetadata:
    """Train a LoRA adapter for `base` on `train`, keep the one with the lowest eval loss, save it in `out`."""
    try:
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
        from transformers import DataCollatorForSeq2Seq, EarlyStoppingCallback, Trainer, TrainingArguments
    except ImportError as exc:
        raise ModelError("install ragkit[peft] (transformers, peft) to fine-tune") from exc
    params = params or TrainingParams()
    if not train or not evaluation:
        raise ModelError("fine-tuning needs at least one training and one evaluation example")
    started = time.perf_counter()
    source = resolve_hf(base)
    device_name = device()
    qlora = _qlora_available(params, device_name)
    model, tokenizer = load_model(source.directory, device_name, quantize_4bit=qlora)
    chat = source.chat if source.chat is not None else bool(getattr(tokenizer, "chat_template", None))
    template = load_prompt(prompt_id)
    train_set = _encode_all(template, train, tokenizer, chat, params.max_seq_tokens)
    eval_set = _encode_all(template, evaluation, tokenizer, chat, params.max_seq_tokens)
    if qlora:
        model = prepare_model_for_kbit_training(model)
    model = get_peft_model(model, LoraConfig(
        task_type="CAUSAL_LM", r=params.lora_r, lora_alpha=params.lora_alpha, lora_dropout=params.lora_dropout,
        target_modules=params.target_modules,
    ))
    with tempfile.TemporaryDirectory(prefix="ragkit-finetune-") as checkpoints:
        args = TrainingArguments(
            output_dir=checkpoints, eval_strategy="steps", eval_steps=params.eval_steps, save_strategy="steps",
            save_steps=params.eval_steps, save_total_limit=2, save_only_model=True, load_best_model_at_end=True,
            metric_for_best_model="eval_loss", greater_is_better=False, logging_steps=params.eval_steps,
            per_device_train_batch_size=params.batch_size, per_device_eval_batch_size=params.batch_size,
            gradient_accumulation_steps=params.grad_accumulation, learning_rate=params.learning_rate,
            num_train_epochs=params.epochs, warmup_steps=max(1, params.eval_steps // 5), seed=params.seed,
            use_cpu=device_name == "cpu", report_to="none", disable_tqdm=not show_progress,
            dataloader_pin_memory=False,
        )
        trainer = Trainer(
            model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
            data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
            callbacks=[EarlyStoppingCallback(early_stopping_patience=params.patience)],
        )
        # LoRA starts with B = 0, so this is exactly the base model's loss.
        base_loss = float(trainer.evaluate()["eval_loss"])
        log.info("base model eval loss %.4f", base_loss)
        trainer.train()
        history = [
            {"step": float(entry["step"]), "eval_loss": float(entry["eval_loss"])}
            for entry in trainer.state.log_history if "eval_loss" in entry
        ]
        final_loss = float(trainer.evaluate()["eval_loss"])
        steps = trainer.state.global_step
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # peft's generic model card; ragkit-adapter.json is the record
    provenance = template.metadata or {}
    metadata = AdapterMetadata(
        base_model=base or source.name, base_sha256=source.identity,
        prompt_id=prompt_id, prompt_version=int(provenance["prompt_version"]),
        prompt_sha256=str(provenance["prompt_sha256"]), chat_template=chat,
        training=params.model_copy(update={"qlora": qlora}), train_examples=len(train),
        eval_examples=len(evaluation), steps=steps, seconds=round(time.perf_counter() - started, 1),
        device=device_name, base_eval_loss=base_loss, final_eval_loss=final_loss, eval_history=history,
        notes=notes or {},
    )
    write_metadata(out, metadata)
    return metadata
