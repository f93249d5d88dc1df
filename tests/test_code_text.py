"""Features of code text: hand-written snippets whose every value is worked out by hand, then the scan
against Python's own tokenizer on the held-out standard-library files, and the corpus lists."""
import io
import sys
import token
import tokenize

import numpy as np
import pytest

from lstm_viz.code_text import (
    FEATURES,
    HELDOUT_MODULES,
    TRAIN_MODULES,
    corpus,
    corpus_record,
    features,
    indentation,
    line_position,
    regex_feature,
)


def _ones(text: str, feature: str) -> str:
    """The characters where a 0/1 feature is 1, so a test reads like the snippet."""
    return "".join(ch for ch, v in zip(text, features(text)[feature]) if v)


def test_a_one_line_call():
    """f(a, "x)")  # c(
    f 0, ( opens: 1, a , space 1, the string "x)" is at depth 1 and its ) does not close anything,
    the ) after it closes: 0, the rest 0; the '(' in the comment is not a bracket."""
    text = 'f(a, "x)")  # c('
    fe = features(text)
    assert fe["bracket_depth"].tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert fe["in_string"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]  # '"x)' of '"x)"'
    assert _ones(text, "in_comment") == "# c("
    assert fe["line_position"].tolist() == list(range(1, 17))
    assert fe["indentation"].tolist() == [0] * 16
    assert set(fe) == set(FEATURES) and all(v.shape == (16,) and v.dtype == float for v in fe.values())


def test_nested_brackets_and_a_stray_closer():
    text = "a[(b)]{}) x"
    # a 0, [ 1, ( 2, b 2, ) 1, ] 0, { 1, } 0, stray ) stays 0, space 0, x 0
    assert features(text)["bracket_depth"].tolist() == [0, 1, 2, 2, 1, 0, 1, 0, 0, 0, 0]


def test_strings_quotes_escapes_and_prefixes():
    """'it\\'s' keeps going past the escaped quote; the prefix r of r"a#b" is not in the string and
    its '#' is not a comment; in "q\"" the escaped quote does not end it."""
    text = "'it\\'s' + r\"a#b\" + \"q\\\"\""
    assert _ones(text, "in_string") == "'it\\'s" + '"a#b' + '"q\\"'
    assert _ones(text, "in_comment") == ""


def test_triple_quotes_span_lines_and_hold_other_quotes():
    text = 'x = """a\n"b" \'c\'\n"""\ny = 1'
    # the literal is from the first " to the last " of the closing triple quote, that last one read outside
    s = features(text)["in_string"]
    start, end = text.index('"""'), text.rindex('"""') + 3
    assert s.tolist() == [1.0 if start <= t < end - 1 else 0.0 for t in range(len(text))]
    assert features(text)["line_position"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 0,
                                                        1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5]


def test_an_unterminated_string_ends_with_its_line_and_a_triple_one_with_the_text():
    text = "s = 'abc\nt = (1"
    assert _ones(text, "in_string") == "'abc"            # not the new line, and the next line is code
    assert features(text)["bracket_depth"][-1] == 1
    assert _ones('a = """x\ny', "in_string") == '"""x\ny'
    assert _ones("x = 'a\\\nb' + 1", "in_string") == "'a\\\nb"   # backslash-new line continues it


def test_comments_end_before_the_new_line_and_hashes_in_strings_are_text():
    text = "a = '#'  # note\n# whole line\nb"
    assert _ones(text, "in_comment") == "# note# whole line"
    assert features(text)["in_comment"][text.index("\n")] == 0


def test_indentation_counts_columns_of_the_line_and_the_new_line_belongs_to_it():
    text = "if x:\n    y\n\tz\n  \tw\n"
    #       if x:\n -> 0 (6 chars), '    y\n' -> 4 (6), '\tz\n' -> 8 (3), '  \tw\n' -> 8 (5: tab to column 8)
    assert indentation(text).tolist() == [0] * 6 + [4] * 6 + [8] * 3 + [8] * 5
    assert indentation("").shape == (0,) and line_position("").shape == (0,)


def test_line_position_counts_from_one_and_a_new_line_is_zero():
    assert line_position("ab\ncd\n\ne").tolist() == [1, 2, 0, 1, 2, 0, 0, 1]


def test_regex_marks_every_character_of_every_match():
    text = "self.x = self.y"
    assert regex_feature(text, r"self\.\w").tolist() == [1] * 6 + [0] * 3 + [1] * 6
    assert regex_feature(text, r"(?=s)").sum() == 0                     # empty matches mark nothing
    with pytest.raises(ValueError, match="not a regular expression"):
        regex_feature(text, "(")


def _tokenizer_masks(text: str):
    """in_string, in_comment, bracket_depth from Python's tokenize module, under the same rules."""
    starts = np.cumsum([0] + [len(line) for line in text.splitlines(keepends=True)])
    at = lambda pos: starts[pos[0] - 1] + pos[1]
    T = len(text)
    s, c, opens = np.zeros(T), np.zeros(T), np.zeros(T + 1)
    fstring = []                           # Python 3.12+: an f-string arrives as start, parts, end
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        a, b = at(tok.start), at(tok.end)
        if tok.type == getattr(token, "FSTRING_START", None):
            fstring.append(a)
        elif tok.type == getattr(token, "FSTRING_END", None):
            a = fstring.pop()
            if not fstring:
                s[a:b - 1] = 1.0
        elif fstring:
            continue
        elif tok.type == token.STRING:
            quote = min(i for i in (tok.string.find("'"), tok.string.find('"')) if i >= 0)
            s[a + quote:b - 1] = 1.0
        elif tok.type == token.COMMENT:
            c[a:b] = 1.0
        elif tok.type == token.OP and tok.string in "([{":
            opens[a] += 1
        elif tok.type == token.OP and tok.string in ")]}":
            opens[a] -= 1
    return s, c, np.cumsum(opens[:T])


def test_scan_agrees_with_pythons_tokenizer_on_held_out_files():
    seen = np.zeros(3)
    for name, text in corpus("heldout"):
        s, c, d = _tokenizer_masks(text)
        fe = features(text)
        np.testing.assert_array_equal(fe["in_string"], s, err_msg=name)
        np.testing.assert_array_equal(fe["in_comment"], c, err_msg=name)
        np.testing.assert_array_equal(fe["bracket_depth"], d, err_msg=name)
        seen = np.maximum(seen, [s.mean(), c.mean(), d.max()])
    assert seen[0] > 0.2 and seen[1] > 0.05 and seen[2] >= 3         # the files exercise every rule


def test_corpus_lists_are_disjoint_and_recorded():
    assert not set(TRAIN_MODULES) & set(HELDOUT_MODULES)
    assert 40 <= len(TRAIN_MODULES) + len(HELDOUT_MODULES) <= 90
    rec = corpus_record()
    assert rec["python"] == sys.version.split()[0] and rec["license"].startswith("PSF")
    assert rec["heldout"] == [f"{n}.py" for n in HELDOUT_MODULES]
    held = corpus("heldout")
    assert [n for n, _ in held] == list(HELDOUT_MODULES) and all("\r" not in t and len(t) > 1000 for _, t in held)
    with pytest.raises(ValueError, match="split"):
        corpus("test")
