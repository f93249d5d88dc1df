"""Python source as text to learn from, and what each character of it is, as a tokenizer sees it.

Layer: engine. Imports only the standard library and NumPy.

Corpus. Pure-Python modules of the standard library of the Python that runs this code (license: PSF-2.0,
the LICENSE.txt beside them), so training needs no download. The file lists below are fixed; training
files and held-out files never share a module. `corpus_record()` says which Python and which files.

Features of a text of T characters, each an array (T,), read by one scan that knows where strings and
comments begin and end. One rule for every delimited region: it begins at its opening character and
ends before its closing one, so the value at step t is the reader's state once it has read character t,
the state a recurrent cell holds in h_t:
    in_string[t]      1 from a literal's opening quote up to (not including) the last character of its
                      closing quote; single, double, triple quotes, escapes and line continuations obey
                      Python's rules; a prefix (r, b, f, ...) is not part of it; an f-string is a string
                      throughout (Python 3.11's tokenizer); an unterminated one-line string stops at the
                      end of its line, an unterminated triple-quoted one at the end of the text
    in_comment[t]     1 from '#' (outside strings) to the end of its line, the new line not included
    bracket_depth[t]  brackets ( [ { open after reading t, outside strings and comments: an opening
                      bracket counts itself, a closing one does not; a stray closer does not go below 0
    line_position[t]  characters of the current line read so far, t included; a new line resets it to 0
    indentation[t]    leading whitespace of the line t is on, in columns (a tab to the next multiple of
                      8, as the tokenizer counts); a new line belongs to the line it ends
    regex_feature(text, pattern)[t]   1 where a match of the pattern covers character t
"""
from __future__ import annotations

import re
import sys
import sysconfig
from pathlib import Path

import numpy as np

LICENSE = "PSF-2.0 (Python Software Foundation License), see LICENSE.txt in the standard library directory"

# Modules present, as single .py files, in every Python from 3.11 on (none of the ones PEP 594 removed,
# none that later became packages). Machine-generated tables (token, opcode, stringprep) are left out.
TRAIN_MODULES = (
    "argparse", "ast", "base64", "bdb", "bisect", "calendar", "cmd", "code", "codecs", "codeop",
    "colorsys", "compileall", "configparser", "contextlib", "copy", "copyreg", "dataclasses", "difflib",
    "dis", "doctest", "enum", "filecmp", "fileinput", "fnmatch", "ftplib", "functools", "genericpath",
    "getopt", "gettext", "glob", "gzip", "hashlib", "hmac", "imaplib", "inspect", "ipaddress",
    "linecache", "lzma", "mailbox", "mimetypes", "netrc", "ntpath", "numbers", "operator", "optparse",
    "os", "pdb", "pickle", "pkgutil", "platform", "plistlib", "posixpath", "pstats", "pyclbr", "random",
    "reprlib", "runpy", "shutil", "smtplib", "socket", "socketserver", "ssl", "statistics", "string",
    "subprocess", "tarfile", "tempfile", "threading", "timeit", "tokenize", "traceback", "types",
    "typing", "uuid", "warnings", "weakref",
)
HELDOUT_MODULES = (
    "textwrap", "shlex", "queue", "fractions", "csv", "heapq", "pprint", "selectors", "sched", "graphlib",
)
FEATURES = {   # name -> what a value means, for tables and axis titles
    "in_string": "inside a string literal (1) or not (0)",
    "bracket_depth": "brackets ( [ { open",
    "line_position": "characters read on this line",
    "indentation": "indentation of this line, in columns",
    "in_comment": "inside a comment (1) or not (0)",
}
_OPEN, _CLOSE = "([{", ")]}"


def stdlib_dir() -> Path:
    """Where this Python keeps its pure-Python standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def corpus(split: str = "train") -> list[tuple[str, str]]:
    """[(module name, source text)] of the 'train' or 'heldout' files, in list order, new lines as \\n."""
    names = {"train": TRAIN_MODULES, "heldout": HELDOUT_MODULES}.get(split)
    if names is None:
        raise ValueError(f"Unknown corpus split {split!r}; choose 'train' or 'heldout'.")
    root, out = stdlib_dir(), []
    for name in names:
        path = root / f"{name}.py"
        if not path.is_file():
            raise ValueError(f"This Python ({sys.version.split()[0]}) has no {path}; the corpus needs the "
                             "standard library's source files.")
        out.append((name, path.read_text(encoding="utf-8")))
    return out


def corpus_record() -> dict:
    """What a model trained here was trained on: Python version, directory, file lists and license."""
    return {"python": sys.version.split()[0], "stdlib": str(stdlib_dir()), "license": LICENSE,
            "train": [f"{n}.py" for n in TRAIN_MODULES], "heldout": [f"{n}.py" for n in HELDOUT_MODULES]}


# ---------------------------------------------------------------------------------------------
# features


def features(text: str) -> dict[str, np.ndarray]:
    """Every feature of FEATURES for the text, name -> (T,) float64."""
    in_string, in_comment, depth = _scan(text)
    return {"in_string": in_string, "bracket_depth": depth, "line_position": line_position(text),
            "indentation": indentation(text), "in_comment": in_comment}


def _scan(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(in_string, in_comment, bracket_depth), each (T,) float64, in one pass over the text."""
    T = len(text)
    in_string = np.zeros(T)                 # (T,)
    in_comment = np.zeros(T)                # (T,)
    depth = np.zeros(T)                     # (T,)
    i, d = 0, 0
    while i < T:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = T if j < 0 else j
            in_comment[i:j] = 1.0
            depth[i:j] = d
        elif ch in "'\"":
            j, closed = _string_end(text, i)
            in_string[i:j - 1 if closed else j] = 1.0   # the last closing quote is read outside
            depth[i:j] = d
        else:
            j = i + 1
            if ch in _OPEN:
                d += 1
            elif ch in _CLOSE:
                d = max(d - 1, 0)
            depth[i] = d
        i = j
    return in_string, in_comment, depth


def _string_end(text: str, i: int) -> tuple[int, bool]:
    """(end, closed) of the literal whose opening quote is text[i]: text[i:end] is the literal."""
    quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
    T, j = len(text), i + len(quote)
    while j < T:
        ch = text[j]
        if ch == "\\":
            j += 2                          # an escaped character (a quote, a new line) never ends it
        elif ch == "\n" and len(quote) == 1:
            return j, False                 # unterminated one-line string: the line ends it
        elif text.startswith(quote, j):
            return j + len(quote), True
        else:
            j += 1
    return T, False


def line_position(text: str) -> np.ndarray:
    """(T,) characters of the current line read so far, this one included; 0 at a new line."""
    t = np.arange(len(text))                                          # (T,)
    newline = np.array([ch == "\n" for ch in text], bool)            # (T,)
    last = np.maximum.accumulate(np.where(newline, t, -1)) if text else t  # (T,) last new line at or before t
    return (t - last).astype(float)


def indentation(text: str) -> np.ndarray:
    """(T,) leading whitespace of each character's line in columns, counted as Python's tokenizer does:
    a tab moves to the next multiple of 8, a form feed starts again at 0."""
    out = np.zeros(len(text))               # (T,)
    start = 0
    for line in text.split("\n"):
        col = 0
        for ch in line:
            if ch == " ":
                col += 1
            elif ch == "\t":
                col = (col // 8 + 1) * 8
            elif ch == "\f":
                col = 0
            else:
                break
        out[start:start + len(line) + 1] = col   # + 1: the new line that ends it
        start += len(line) + 1
    return out


def regex_feature(text: str, pattern: str) -> np.ndarray:
    """(T,) 1.0 on every character some match of the pattern covers (re.finditer), else 0."""
    try:
        rx = re.compile(pattern)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError) as e:
        raise ValueError(f"The pattern {pattern!r} is not a regular expression Python can read ({e}).") from None
    out = np.zeros(len(text))               # (T,)
    for m in rx.finditer(text):
        out[m.start():m.end()] = 1.0
    return out
