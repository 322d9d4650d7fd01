"""The hub's words for people: one catalogue (zh-CN first, English), phrases stored as keys with
values and put into words where they are read."""

from seaLink.texts.catalogue import DEFAULT_LANG, LANGS
from seaLink.texts.render import (
    Phrase,
    age,
    beijing_time,
    catalogue,
    exercised,
    in_every_language,
    lang_of,
    position,
    render,
    word,
)

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Phrase",
    "age",
    "beijing_time",
    "catalogue",
    "exercised",
    "in_every_language",
    "lang_of",
    "position",
    "render",
    "word",
]
