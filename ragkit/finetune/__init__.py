"""LoRA fine-tuning on {question, context, answer} data, rendered with the same prompt files used for serving."""

from ragkit.finetune.data import QAExample, load_jsonl, write_jsonl
from ragkit.models.adapter import AdapterMetadata, TrainingParams, read_metadata

__all__ = ["AdapterMetadata", "QAExample", "TrainingParams", "load_jsonl", "read_metadata", "write_jsonl"]
