"""Prompt injection in retrieved passages: sentences that address the model instead of the reader, found and removed.

A unit is a sentence (ragkit.text.sentences) or a line of one. It is an instruction when it matches one of the
patterns below, in English or Chinese: overriding earlier instructions ("ignore all previous instructions",
忽略之前的所有指令), chat role lines ("SYSTEM:", "Assistant:", 系统：), chat-template tokens, a fake answer in the
chain's citation format ("[1] Answer: ..."), text addressed to an AI, assistant or language model ("Note to AI
models", 如果你是人工智能助手), or a demand on the reply itself ("reply only with ...", "in your answer",
只回复, 你的回答). Rules written for people ("Employees must book flights 14 days ahead", 员工必须提前14天预订机票)
address no model and demand no reply, so they pass. A pattern needs a cue that the text speaks to the model
(earlier instructions named as such, "you", a quoted or capitalised target): prose about models ("任务描述可以作为提示
提供给模型"), options that "only output" something (只输出日期) and settings that override others pass; on SQuAD and
Chinese Debian documentation the screen removes nothing (benchmarks/injection_fp.py, docs/injection.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragkit.text import sentences

_AI = (r"(?:ai|a\.i\.|assistants?|chatbots?|bots?|language models?|llms?|ai models?|models? reading this|gpt\w*"
       r"|qwen|gemma|llama)")
_REPLY = r"(?:reply|replies|respond|answer|answers|say|output|print|write|repeat|return|end|start|begin)"
_ANSWERS = r"(?:answers?|repl(?:y|ies)|responses?)"
_QUOTE = r"[\"'“‘`「『]"
_TARGET = rf"(?:(?:the\s+)?(?:words?|phrases?|text|string)\b|{_QUOTE}|(?-i:[A-Z][A-Z-]{{3,}})\b)"
"""What a demanded reply is: "the word", a quote, or a word in capitals (case-sensitive inside IGNORECASE)."""
_PRIOR = r"(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system|your)"
_DETERMINERS = r"(?:(?:any|every|all|of|the|these|those|my|your)\s+)*"
_ZH_END = r"[^。！？\n]"
_ZH_AI = r"(?:人工智能|(?<![a-z])ai(?![a-z])|助手|语言模型|大模型|模型|机器人)"
_ZH_REPLY = r"(?:回答|回复|答复|输出|说|写)(?![过明了出])"
_ZH_ONLY = r"(?:只|仅)(?:能|需|要|可以)?"
_ZH_PRIOR = r"(?:之前|以上|上面|上述|前面|先前|此前|原来|原有|原先|你的|系统|所有|全部|一切)"
_ZH_YOU = r"(?:你|您)"

PATTERNS: dict[str, re.Pattern[str]] = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
    "override": rf"\b(?:ignore|disregard|forget|override|bypass)\s+{_DETERMINERS}(?:{_PRIOR}\s+)?(?:instructions?|prompts?)\b"
                rf"|\b(?:ignore|disregard|forget|override|bypass)\s+{_DETERMINERS}{_PRIOR}\s+"
                rf"(?:\w+\s+)?(?:rules|directions|guidelines|context)\b"
                rf"|\b(?:ignore|disregard)\s+(?:the|this|my|any)\s+(?:user'?s?\s+)?(?:question|query)\b",
    "role line": r"^[\W_]*(?:system|assistant|user|human|developer)\s*[:：]",
    "chat token": r"<\|im_(?:start|end)\|>|<\|(?:system|user|assistant)\|>|\[/?INST\]|<</?SYS>>",
    "fake answer": r"^\s*\[\d+\]\s*(?:final\s+)?(?:answer|reply|response|答案|回答)\s*[:：]",
    "addressed to the model": rf"\b(?:dear|hey|hello|attention|note (?:to|for)|if you are|you are (?:now )?)"
                              rf"\s*(?:an?\s+|the\s+|all\s+)?(?:\w+\s+){{0,2}}?{_AI}\b"
                              rf"|\b{_AI}\s+(?:that are\s+|who are\s+)?(?:reading|processing|parsing|seeing|"
                              rf"summari[sz]ing|analy[sz]ing|indexing)\s+(?:this|these)\b"
                              rf"|\b{_AI}\b[^.\n]{{0,40}}\b(?:must|should|shall|need to|have to|are required to)\b"
                              rf"[^.\n]{{0,30}}\b{_REPLY}\b[^.\n]{{0,20}}{_TARGET}",
    "demand on the reply": rf"\b{_REPLY}\b[^.\n]{{0,20}}\b(?:only|just|exactly|solely)\s+(?:with\s+)?{_TARGET}"
                           rf"|\b{_REPLY}\b[^.\n]{{0,30}}\b(?:every|all|any|each)\s+(?:questions?|quer(?:y|ies)|requests?)"
                           rf"\b[^.\n]{{0,30}}\b(?:with|is|as)\b"
                           rf"|\b(?:in|to|end|start|begin|with)\s+(?:every|each|your)\s+{_ANSWERS}\b"
                           rf"|\byour\s+(?:new\s+)?(?:task|role|instructions|job|purpose)\s+(?:is|are|now)\b"
                           rf"|\bnew instructions\s*[:：]"
                           rf"|\bfrom now on\b[,\s]*(?:you\s+(?:will|must|are|only|{_REPLY})\b|{_REPLY}\b|always\b|only\b)"
                           rf"|\b{_REPLY}\b[^.\n]{{0,40}}\band nothing else\b",
    "覆盖指令": rf"(?:忽略|无视|忘记|忘掉|不要理会|不要管|别管|覆盖){_ZH_END}{{0,4}}{_ZH_PRIOR}{_ZH_END}{{0,6}}"
                rf"(?:指令|指示|提示词?|规则|设定|要求)(?![符框行栏])",
    "角色行": r"^[\W_]*(?:系统|助手|用户|人工智能)\s*[:：]",
    "对模型说话": rf"(?:如果|假如|要是)?{_ZH_YOU}(?:现在)?是(?!否){_ZH_END}{{0,10}}{_ZH_AI}(?=[，,。！？、\s]|$|正在|在读)"
                  rf"|作为(?:一个|一名|一款)?{_ZH_AI}[，,]\s*{_ZH_YOU}"
                  rf"|(?:阅读|读到|处理)(?:本文|这段|此文|本页|这篇){_ZH_END}{{0,6}}{_ZH_AI}"
                  rf"|{_ZH_AI}{_ZH_END}{{0,10}}(?:必须|应该|应当|务必|请){_ZH_END}{{0,20}}(?:{_QUOTE}|{_ZH_ONLY}{_ZH_REPLY})",
    "对回答的要求": rf"{_ZH_YOU}{_ZH_ONLY}{_ZH_REPLY}"
                    rf"|{_ZH_ONLY}{_ZH_REPLY}{_ZH_END}{{0,6}}{_QUOTE}"
                    rf"|(?:所有|每个|任何)(?:问题|提问){_ZH_END}{{0,10}}{_ZH_REPLY}{_ZH_END}{{0,4}}{_QUOTE}"
                    rf"|你的(?:回答|回复|答案)(?:中|里)?(?:必须|应该|应当|务必|只|仅|都|一律|请|要|开头|结尾|末尾|最后)"
                    rf"|在你的(?:回答|回复|答案)(?:中|里)|从现在(?:开始|起)[，,]?\s*(?:{_ZH_YOU}|只|请|所有|一律)"
                    rf"|你的新的?(?:指令|任务|角色)|新的?(?:指令|任务|角色)(?:是|为)?[:：]",
}.items()}
"""Named patterns of instruction-like text (English, then Chinese); a unit matching any is an instruction."""
LINE_PATTERNS = ("role line", "fake answer", "角色行")
"""Patterns that condemn their whole line: a role line goes on past its first sentence."""


@dataclass(frozen=True)
class Screened:
    """A passage with its instruction-like units removed."""

    text: str
    """The passage without them."""
    removed: list[str]
    """The units removed, in order."""


def instruction(unit: str) -> str | None:
    """The name of the first pattern the unit matches, or None for ordinary text."""
    return next((name for name, pattern in PATTERNS.items() if pattern.search(unit.strip())), None)


def _units(text: str) -> list[tuple[int, str]]:
    """(offset, unit) of the instruction-like units of text: whole role lines, else sentences of a line."""
    found, offset = [], 0
    for line in text.split("\n"):
        if any(PATTERNS[name].search(line.strip()) for name in LINE_PATTERNS):
            found.append((offset, text[offset:offset + len(line) + 1]))  # the line and its line break
        else:
            found.extend((offset + start, sentence) for start, sentence in sentences(line) if instruction(sentence))
        offset += len(line) + 1
    return found


def screen(text: str) -> Screened:
    """The text without its instruction-like units (whitespace between what is kept tidied), and those units."""
    kept, removed, last = [], [], 0
    for start, unit in _units(text):
        kept.append(text[last:start])
        removed.append(unit.strip())
        last = start + len(unit)
    if not removed:
        return Screened(text, [])
    kept.append(text[last:])
    cleaned = re.sub(r"[ \t]*\n(?:[ \t]*\n)+", "\n\n", re.sub(r"[ \t]{2,}", " ", "".join(kept)))
    return Screened(cleaned.strip(), removed)
