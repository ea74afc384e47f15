"""Bytes to text: Unicode with or without a byte-order mark, legacy encodings (GBK, GB18030, Big5, ...) detected."""

from __future__ import annotations

import codecs

from ragkit.errors import SkipFile

_SAMPLE = 8192
# UTF-32 before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes; raise SkipFile when they are empty, binary or in no detectable encoding."""
    if not data.strip():
        raise SkipFile("empty file")
    bom, encoding = next(((bom, name) for bom, name in _BOMS if data.startswith(bom)), (b"", None))
    if encoding is not None:
        try:
            text = data[len(bom):].decode(encoding)
        except UnicodeDecodeError as exc:
            raise SkipFile(f"invalid {encoding} text (bad bytes at offset {len(bom) + exc.start})") from exc
    elif b"\x00" in data[:_SAMPLE]:
        raise SkipFile("binary content, not text")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _detected(data)
    sample = text[:_SAMPLE]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(sample) // 100):
        raise SkipFile("binary content, not text")
    return text


def _detected(data: bytes) -> str:
    """Text in the encoding charset-normalizer finds most coherent, near ties going to the encodings below."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise SkipFile("binary content or an unknown text encoding")
    # On short Chinese text charset-normalizer often prefers a Korean or Japanese reading by a few hundredths of
    # mess, and a Central European one (cp1250) over Western cp1252 on accented Latin text: near ties go to the
    # reading with the least mess, then the most common Chinese characters, then this order.
    near = [m for m in matches if m.encoding in _PREFERRED and m.chaos <= best.chaos + _NEAR_TIE
            and m.coherence >= best.coherence]
    ranked = sorted(near, key=lambda m: (m.chaos, -_common_han_share(str(m)), _PREFERRED.index(m.encoding)))
    return str(ranked[0] if ranked else best)


_PREFERRED = ("gb18030", "big5", "cp1252")
_NEAR_TIE = 0.1


def _common_han_share(text: str) -> float:
    """Share of the Chinese characters of a sample that are common ones (GB2312 level 1 or Big5's common set)."""
    han = [ch for ch in text[:2000] if "\u4e00" <= ch <= "\u9fff"]
    return sum(_is_common_han(ch) for ch in han) / len(han) if han else 0.0


def _is_common_han(ch: str) -> bool:
    """Whether ch is among the 3,755 common simplified (GB2312 level 1) or 5,401 common traditional (Big5)."""
    try:
        if 0xB0 <= ch.encode("gb2312")[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        return 0xA440 <= int.from_bytes(ch.encode("big5"), "big") <= 0xC67E
    except UnicodeEncodeError:
        return False
