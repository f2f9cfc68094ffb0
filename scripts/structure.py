#!/usr/bin/env python3
"""The house's shape in figures: the longest functions, the largest files and the import loops between the
modules of each crate. Reads the Rust sources as text (no build); for reviews and the session notes.

    python3 scripts/structure.py [--top N] [--all]   (--all also counts tests/, benches/ and fuzz/)

A loop is two or more modules of one crate that reach each other through `use crate::...`/`crate::...` paths or
`super::` (a module's own submodules do not count).
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = {"target", ".local", ".git", "node_modules", "out"}
TEST_DIRS = {"tests", "benches", "fuzz"}


def rust_files(all_dirs):
    for d, dirs, files in os.walk(ROOT):
        rel = os.path.relpath(d, ROOT)
        top = rel.split(os.sep)[0]
        dirs[:] = [x for x in dirs if x not in SKIP]
        if not all_dirs and (top in TEST_DIRS or os.sep + "tests" in os.sep + rel):
            continue
        for f in files:
            if f.endswith(".rs"):
                yield os.path.join(rel, f)


def strip(src):
    """The source with strings, chars and comments blanked (line breaks kept), so braces can be counted."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and not (i and (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', src[i:]).group(1)
            end = '"' + hashes
            j = src.find(end, i + 2 + len(hashes))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", src[i:j + 1]))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", src[i:i + 4]) or src.startswith("'\\", i):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", src[i:])
            k = len(m.group(0)) if m else 1
            out.append(" " * k)
            i += k
        else:
            out.append(c)
            i += 1
    return "".join(out)


FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def functions(path):
    text = strip(open(os.path.join(ROOT, path), encoding="utf-8").read())
    for m in FN.finditer(text):
        # the body opens at the first `{` after the signature unless a `;` (a declaration) comes first
        j = m.end()
        depth_paren = 0
        while j < len(text):
            ch = text[j]
            if ch in "([":
                depth_paren += 1
            elif ch in ")]":
                depth_paren -= 1
            elif ch == ";" and depth_paren == 0:
                j = -1
                break
            elif ch == "{" and depth_paren == 0:
                break
            j += 1
        if j < 0 or j >= len(text):
            continue
        depth, k = 0, j
        while k < len(text):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        start = text.count("\n", 0, m.start()) + 1
        end = text.count("\n", 0, k) + 1
        yield m.group(1), start, end - start + 1


def crate_of(path):
    """(crate dir, module path) of a source file under a `src/` folder."""
    parts = path.split(os.sep)
    if "src" not in parts:
        return None
    i = parts.index("src")
    mod = parts[i + 1:]
    mod[-1] = mod[-1][:-3]
    if mod[-1] in ("mod", "lib", "main"):
        mod = mod[:-1]
    if mod and mod[0] == "bin":
        return None
    return os.sep.join(parts[:i]), tuple(mod)


USE = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def loops(files):
    graph = {}
    for path in files:
        cm = crate_of(path)
        if not cm:
            continue
        crate, mod = cm
        text = strip(open(os.path.join(ROOT, path), encoding="utf-8").read())
        # drop `#[cfg(test)] mod tests { ... }` blocks: tests may reach anywhere
        text = re.sub(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", "", text)
        mods = {m for c, m in crate_modules(files, crate)}
        edges = graph.setdefault(crate, {})
        me = edges.setdefault(mod, set())
        is_dir_mod = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
        for base, rest in USE.findall(text):
            segs = [s for s in rest.split("::") if s]
            if base == "crate":
                target = segs
            else:
                parent = list(mod) if is_dir_mod else list(mod[:-1])
                ups = 1
                while segs and segs[0] == "super":
                    segs, ups = segs[1:], ups + 1
                parent = parent[: len(parent) - (ups - 1)] if ups > 1 else parent
                if not is_dir_mod:
                    pass
                target = parent + segs
            # the longest known module prefix
            for k in range(len(target), 0, -1):
                t = tuple(target[:k])
                if t in mods:
                    if t != mod and t[: len(mod)] != mod and mod[: len(t)] != t:
                        me.add(t)
                    break
    found = []
    for crate, edges in graph.items():
        for a in edges:
            for b in edges[a]:
                if a < b and a in edges.get(b, set()):
                    found.append((crate, "::".join(a) or "(root)", "::".join(b) or "(root)"))
    return found


_mods_cache = {}


def crate_modules(files, crate):
    if crate not in _mods_cache:
        _mods_cache[crate] = [crate_of(p) for p in files if crate_of(p) and crate_of(p)[0] == crate]
    return _mods_cache[crate]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--all", action="store_true")
    a = ap.parse_args()
    files = sorted(rust_files(a.all))
    fns, sizes = [], []
    for p in files:
        sizes.append((sum(1 for _ in open(os.path.join(ROOT, p), encoding="utf-8")), p))
        for name, line, length in functions(p):
            fns.append((length, f"{p}:{line} {name}"))
    fns.sort(reverse=True)
    sizes.sort(reverse=True)
    print(f"{len(files)} files, {len(fns)} functions; over 80 lines: {sum(1 for l, _ in fns if l > 80)}")
    print("longest functions (lines):")
    for length, where in fns[: a.top]:
        print(f"  {length:5}  {where}")
    print("largest files (lines):")
    for n, p in sizes[: a.top]:
        print(f"  {n:5}  {p}")
    lp = loops(files)
    print(f"module loops: {len(lp)}")
    for crate, x, y in lp:
        print(f"  {crate}: {x} <-> {y}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
