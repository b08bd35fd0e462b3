"""Reports in the reader's language, through gettext: ``rewriter/locale/<lang>/LC_MESSAGES/scp-fix.mo``.

English is written in the code and is the default. ``--lang ja``, or ``LC_ALL``/``LC_MESSAGES``/``LANG``
starting with ``ja`` (in the order the C library reads them), select Japanese.

A sentence the library makes for a report (a finding, a statement's name) is a ``Text``: the English
string itself, which also remembers its template and fields, so a report can say it in another
language with ``say(text, tr)``. Everywhere else it is just the English string. Region codes, actions
and ARNs are fields, so they stay as they are in every language.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["N_", "DOMAIN", "LOCALE_DIR", "LANGUAGES", "ENGLISH", "Text", "join", "language", "say", "translations"]

DOMAIN = "scp-fix"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "ja")
ENGLISH = gettext.NullTranslations()  # stateless: gettext(message) is the message


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


class Text(str):
    """An English sentence made from a template (a gettext msgid) and its fields."""

    template: str
    fields: dict[str, Any]

    def __new__(cls, template: str, /, **fields: Any) -> Text:
        self = super().__new__(cls, template.format(**fields))
        self.template = template
        self.fields = fields
        return self


class _Joined(str):
    """Sentences joined with a separator: each is said in the reader's language on its own."""

    parts: tuple[Any, ...]
    separator: str

    def __new__(cls, separator: str, parts: tuple[Any, ...]) -> _Joined:
        self = super().__new__(cls, separator.join(str(p) for p in parts))
        self.parts = parts
        self.separator = separator
        return self


def join(separator: str, parts: Iterable[Any]) -> str:
    """``separator.join(parts)`` that a report can still translate part by part."""
    return _Joined(separator, tuple(parts))


def say(value: Any, tr: gettext.NullTranslations = ENGLISH) -> str:
    """``value`` in the language of ``tr``: a ``Text`` through the catalogue, anything else as it is."""
    if isinstance(value, Text):
        fields = {key: say(item, tr) for key, item in value.fields.items()}
        return tr.gettext(value.template).format(**fields)
    if isinstance(value, _Joined):
        return value.separator.join(say(part, tr) for part in value.parts)
    return str(value)


def language(option: str | None, environ: Mapping[str, str]) -> str:
    """"ja" or "en": ``--lang`` first, then the locale variables as the C library reads them."""
    if option:
        chosen = option
    else:
        chosen = next((environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), "")
    return "ja" if chosen.lower().startswith("ja") else "en"


def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (English: none, the code's own words)."""
    if lang == "en":
        return ENGLISH
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])
