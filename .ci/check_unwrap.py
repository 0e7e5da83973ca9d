#!/usr/bin/env python3
"""Fail on `.unwrap()` / `.expect(` in src/ outside `#[cfg(test)]` items.

zhfix must never panic on input, so the library and the CLI propagate errors instead. A call
that provably cannot fail may stay if a comment on the same line or the line above says why,
starting with `ok-unwrap:` (e.g. `// ok-unwrap: the regex is a literal`).

Comments, strings and char literals are blanked before searching (a `.unwrap()` in a doc
comment or a message is not a call); `#[cfg(test)]` items (modules, functions, `use`s) are
skipped by matching their braces. Usage: .ci/check_unwrap.py [DIR...] (default: src).
"""
import pathlib
import re
import sys

CHAR = re.compile(r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'")
CALL = re.compile(r"\.\s*(?:unwrap|expect)\s*\(|::\s*(?:unwrap|expect)\b")
MARK = "ok-unwrap:"


def blank(src: str) -> str:
    """`src` with comments, strings and char literals replaced by spaces (newlines kept)."""
    out = list(src)
    i, n = 0, len(src)

    def wipe(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            wipe(i, j)
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            wipe(i, j)
            i = j
        elif (m := re.match(r'b?r(#*)"', src[i:])) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            close = '"' + m.group(1)
            j = src.find(close, i + m.end())
            j = n if j < 0 else j + len(close)
            wipe(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            wipe(i, j + 1)
            i = j + 1
        elif c == "'":
            m = CHAR.match(src, i)
            if m:
                wipe(i, m.end())
                i = m.end()
            else:
                i += 1  # a lifetime
        else:
            i += 1
    return "".join(out)


def test_ranges(code: str):
    """Byte ranges of items under `#[cfg(test)]` (through their closing brace or `;`)."""
    ranges = []
    for m in re.finditer(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]", code):
        j = m.end()
        while j < len(code) and code[j] not in "{;":
            j += 1
        if j < len(code) and code[j] == "{":
            depth = 0
            while j < len(code):
                if code[j] == "{":
                    depth += 1
                elif code[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
        ranges.append((m.start(), j + 1))
    return ranges


def check(path: pathlib.Path):
    src = path.read_text(encoding="utf-8")
    code = blank(src)
    lines = src.split("\n")
    skip = test_ranges(code)
    for m in CALL.finditer(code):
        if any(a <= m.start() < b for a, b in skip):
            continue
        lno = code.count("\n", 0, m.start())
        here = lines[lno]
        above = lines[lno - 1] if lno > 0 else ""
        if MARK in here or MARK in above:
            continue
        yield f"{path}:{lno + 1}: {here.strip()}"


def main() -> int:
    dirs = [pathlib.Path(d) for d in (sys.argv[1:] or ["src"])]
    bad = [hit for d in dirs for p in sorted(d.rglob("*.rs")) for hit in check(p)]
    if bad:
        print(f"unwrap()/expect() outside #[cfg(test)] without an `{MARK}` comment:", *bad, sep="\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
