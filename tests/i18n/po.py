"""A reader for gettext .po files: enough of the format for our own catalogue (contexts,
plurals, flags, multi-line strings), so the tests need no gettext library."""

import ast
from dataclasses import dataclass, field


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def translations(self) -> list[str]:
        return [self.msgstr[index] for index in sorted(self.msgstr)]


def _string(text: str) -> str:
    # A .po string is a C string literal; every escape we use reads the same in Python.
    return ast.literal_eval(text)


def po_read(text: str) -> list[Entry]:
    """The entries of a .po file, the header (empty msgid) included."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple | None = None
    started = False

    def finish():
        nonlocal entry, started
        if started:
            entries.append(entry)
        entry, started = Entry(), False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _string(line)
            else:
                setattr(entry, name, getattr(entry, name) + _string(line))
            continue
        keyword, _, value = line.partition(" ")
        started = True
        if keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            entry.msgstr[index] = _string(value)
            target = ("msgstr", index)
        elif keyword == "msgstr":
            entry.msgstr[0] = _string(value)
            target = ("msgstr", 0)
        elif keyword in ("msgid", "msgctxt", "msgid_plural"):
            setattr(entry, keyword, _string(value))
            target = (keyword, None)
        else:
            raise ValueError(f"not a .po line: {raw!r}")
    finish()
    return entries
