"""Names from the store in English: grid, village and district names romanised,
category names without the Chinese they carry.

A town's names are Chinese (澜溪社区第一网格); an English screen shows them in
Hanyu Pinyin, the romanisation ISO 7098 and the national standard GB/T 16159 use
for place names, with the generic part translated the way bilingual road signs do
(GB/T 17733: 社区 Community, 村 Village): "Lanxi Community Grid 1". The syllables
come from pypinyin (a maintained dictionary of readings with phrase-level
disambiguation — a place name's polyphonic characters are where a hand-made table
goes wrong); the generic parts are the table below.

>>> romanise("澜溪社区第一网格"), romanise("秀水村网格"), romanise("北部片区")
('Lanxi Community Grid 1', 'Xiushui Village Grid', 'North District')
>>> romanise("第二专业网格")
'Professional Grid 2'
>>> romanise("Mission"), english_name("Living in workshops (三合一)")
('Mission', 'Living in workshops')
"""
from __future__ import annotations

import re
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
#: Generic parts of a place name, longest first, and their English.
GENERIC = (
    ("开发区", "Development Zone"), ("工业园", "Industrial Park"), ("镇区", "Town Centre"),
    ("片区", "District"), ("社区", "Community"), ("专业网格", "Professional Grid"), ("网格", "Grid"), ("村", "Village"), ("镇", "Town"),
    ("东部", "East"), ("西部", "West"), ("南部", "South"), ("北部", "North"), ("中部", "Central"),
)


def _pinyin(text: str) -> str:
    # imported on the first English name: its dictionaries take ~55 MB of the server's
    # memory, which a wall shown only in Chinese need not pay
    from pypinyin import Style, lazy_pinyin
    return "".join(lazy_pinyin(text, style=Style.NORMAL)).capitalize()


@lru_cache(maxsize=4096)
def romanise(name: str) -> str:
    """``name`` in English letters: generic parts translated, the rest in Pinyin; a
    name without Chinese characters is returned as it is."""
    name = str(name)
    if not _CJK.search(name):
        return name
    words = []
    rest = re.sub(r"第([一二三四五六七八九十])(专业网格|网格|片区)",
                  lambda m: f"\0{m.group(2)}\0{_NUMERALS[m.group(1)]}\0", name)
    for part in filter(None, rest.split("\0")):
        while part:
            for zh, en in GENERIC:
                if part.startswith(zh):
                    words.append(en)
                    part = part[len(zh):]
                    break
            else:
                m = re.match(r"\d+|[^\u3400-\u9fff]+", part)
                if m:
                    words.append(m.group(0).strip())
                    part = part[m.end():]
                    continue
                # the proper name: up to the next generic part
                cut = min([i for zh, _ in GENERIC if (i := part.find(zh, 1)) > 0] or [len(part)])
                words.append(_pinyin(part[:cut]))
                part = part[cut:]
    return " ".join(w for w in words if w)


def short_place(name: str) -> str:
    """A romanised grid name for a narrow column, by design: the proper name and the
    grid's number, without the generic "Community"/"Village" (the full name is shown
    on hover).

    >>> short_place("Shengdun Village Grid 2"), short_place("Nanhu Community Grid")
    ('Shengdun Grid 2', 'Nanhu Grid')
    """
    return re.sub(r" (Community|Village)(?= Grid)", "", name)


def english_name(name) -> str:
    """An English label from the store as the screen shows it: a Chinese gloss in
    brackets dropped, any Chinese left romanised."""
    text = re.sub(r"\s*[(（][^)）]*[\u3400-\u9fff][^)）]*[)）]", "", str(name)).strip()
    return romanise(text) if _CJK.search(text) else text
