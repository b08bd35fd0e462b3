"""The message catalogues in ``rewriter/locale/``: find the messages, compile the ``.po`` files.

    python scripts/compile_messages.py            # compile every .po into its .mo (GNU msgfmt's format)
    python scripts/compile_messages.py --update   # add the code's new messages to every .po, untranslated
    python scripts/compile_messages.py --check    # exit 1 when a .po misses a message or a .mo is stale

A message is the first argument, a string literal, of ``_()``, ``N_()``, ``Text()`` or ``*.gettext()``
anywhere in the package. The tests run ``--check``'s logic, so an English message without a Japanese
translation fails the suite. Only the standard library is used, so a fresh clone needs nothing more.
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rewriter"
LOCALE = PACKAGE / "locale"
DOMAIN = "scp-fix"
HEADER = "Content-Type: text/plain; charset=UTF-8\n"
_MARKERS = {"_", "N_", "Text"}


def extract_messages(package: Path = PACKAGE) -> dict[str, list[str]]:
    """msgid -> where it is written ("rewriter/report.py:42"), in file order."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            marked = (isinstance(func, ast.Name) and func.id in _MARKERS) or (
                isinstance(func, ast.Attribute) and func.attr == "gettext"
            )
            first = node.args[0]
            if marked and isinstance(first, ast.Constant) and isinstance(first.value, str):
                where = f"{path.relative_to(package.parent).as_posix()}:{node.lineno}"
                found.setdefault(first.value, []).append(where)
    return found


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # PO strings use C escapes, a subset of Python's


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def read_po(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (the header entry, msgid "", included)."""
    entries: dict[str, str] = {}
    msgid: str | None = None
    msgstr: str | None = None
    field = None
    for raw in text.splitlines() + [""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if msgid is not None and msgstr is not None:
                entries[msgid] = msgstr
            if not line:
                msgid = msgstr = field = None
            continue
        if line.startswith("msgid "):
            if msgid is not None and msgstr is not None:
                entries[msgid] = msgstr
            msgid, msgstr, field = _unquote(line[6:]), None, "id"
        elif line.startswith("msgstr "):
            msgstr, field = _unquote(line[7:]), "str"
        elif line.startswith('"'):
            if field == "id":
                msgid = (msgid or "") + _unquote(line)
            elif field == "str":
                msgstr = (msgstr or "") + _unquote(line)
    return entries


def mo_bytes(catalog: dict[str, str]) -> bytes:
    """A GNU .mo file (no hash table, which gettext does not need) of the translated entries."""
    entries = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in catalog.items() if v or k == "")
    count = len(entries)
    ids_at = 28
    strs_at = ids_at + 8 * count
    data_at = strs_at + 8 * count
    ids = b"".join(k + b"\0" for k, _ in entries)
    table_ids, table_strs = [], []
    offset = data_at
    for key, _ in entries:
        table_ids.append((len(key), offset))
        offset += len(key) + 1
    for _, value in entries:
        table_strs.append((len(value), offset))
        offset += len(value) + 1
    head = struct.pack("<7I", 0x950412DE, 0, count, ids_at, strs_at, 0, data_at)
    tables = b"".join(struct.pack("<2I", *pair) for pair in table_ids + table_strs)
    return head + tables + ids + b"".join(v + b"\0" for _, v in entries)


def compiled(po: Path) -> bytes:
    """The .mo a .po compiles to (with a UTF-8 header if the .po has none)."""
    catalog = read_po(po.read_text(encoding="utf-8"))
    catalog.setdefault("", HEADER)
    return mo_bytes(catalog)


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def problems() -> list[str]:
    """What is wrong with the catalogues: missing or empty translations, stale .mo files."""
    messages = extract_messages()
    found = []
    for po in catalogues():
        catalog = read_po(po.read_text(encoding="utf-8"))
        for msgid, where in messages.items():
            if not catalog.get(msgid):
                found.append(f"{po.relative_to(ROOT)}: no translation of {msgid!r} ({where[0]})")
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(po):
            found.append(f"{mo.relative_to(ROOT)} is not compiled from its .po: run scripts/compile_messages.py")
    return found


def update() -> None:
    messages = extract_messages()
    for po in catalogues():
        text = po.read_text(encoding="utf-8")
        catalog = read_po(text)
        missing = [m for m in messages if m not in catalog]
        if missing:
            text = text.rstrip("\n") + "\n" + "".join(
                f"\n#: {messages[m][0]}\nmsgid {_quote(m)}\nmsgstr \"\"\n" for m in missing
            )
            po.write_text(text, encoding="utf-8")


def compile_all() -> None:
    for po in catalogues():
        po.with_suffix(".mo").write_bytes(compiled(po))


def main(argv: list[str]) -> int:
    if "--update" in argv:
        update()
        return 0
    if "--check" in argv:
        found = problems()
        print("\n".join(found) or "catalogues complete")
        return 1 if found else 0
    compile_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
