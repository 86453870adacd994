#!/usr/bin/env python3
"""unit.layout: the house rules of planner/ (issue 13) that a compiler does not check.

1. Nothing under planner/core, planner/geo, planner/graph or planner/route includes a header of
   planner/io, planner/run, planner/scenario or planner/report (the layers never reach up).
2. No .c/.h file under planner/ outside planner/cli holds a command-line flag in a string literal
   (a literal containing "--" followed by a letter, or starting with "-p "): the library names
   parameters ("parameter tier_field"); only the CLI knows its flags.

Usage: check_layout.py [SOURCE_DIR] (default: the repository holding this script). Prints one line
per violation (file:line: what) and exits 1 when there is any, 0 otherwise.
"""
import os
import re
import sys

LOW = ("core", "geo", "graph", "route")
HIGH = ("io", "run", "scenario", "report")
FLAG = re.compile(r"--[A-Za-z]")


def strip_comments_keep_strings(text):
    """Yield (line, literal) for every string literal of C source text, skipping comments and
    character constants."""
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
        elif c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                if text[j] == "\n":  # unterminated: stop at the line end
                    break
                buf.append(text[j])
                j += 1
            if c == '"':
                yield line, "".join(buf)
            i = j + 1
        else:
            i += 1


def include_targets(path, text, planner):
    """(line, resolved path) of every quoted #include of a file under planner/."""
    for k, l in enumerate(text.split("\n"), 1):
        m = re.match(r'\s*#\s*include\s*"([^"]+)"', l)
        if not m:
            continue
        inc = m.group(1)
        for base in (os.path.dirname(path), planner):
            p = os.path.normpath(os.path.join(base, inc))
            if os.path.exists(p):
                yield k, p
                break
        else:  # not found: judge by the spelling ("../io/x.h", "io/x.h")
            yield k, os.path.normpath(os.path.join(os.path.dirname(path), inc))


def check(src):
    planner = os.path.join(src, "planner")
    problems = []
    for root, _, files in os.walk(planner):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            folder = os.path.relpath(path, planner).split(os.sep)[0]
            text = open(path, encoding="utf-8", errors="replace").read()
            if folder in LOW:
                for line, target in include_targets(path, text, planner):
                    t = os.path.relpath(target, planner).split(os.sep)
                    if len(t) > 1 and t[0] in HIGH:
                        problems.append("%s:%d: planner/%s includes %s (planner/%s may not include planner/%s)"
                                        % (rel, line, folder, os.path.relpath(target, src), folder, t[0]))
            if folder != "cli":
                for line, lit in strip_comments_keep_strings(text):
                    if FLAG.search(lit) or lit.startswith("-p "):
                        problems.append('%s:%d: command-line flag in a library string: "%s"' % (rel, line, lit[:80]))
    return problems


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    src = os.path.abspath(src)
    if not os.path.isdir(os.path.join(src, "planner")):
        print("check_layout: no planner/ folder under %s" % src)
        return 2
    problems = check(src)
    for p in problems:
        print(p)
    print("check_layout: %d violation%s in %s/planner" % (len(problems), "" if len(problems) == 1 else "s", src))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
