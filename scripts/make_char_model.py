"""Train the character-level LSTM preset on Python's standard library, write lstm_viz/presets/char_lstm.npz
and print what it scores on held-out files and which units follow which feature of the code.

    python scripts/make_char_model.py               # train with the shipped recipe, write, report
    python scripts/make_char_model.py --steps 500 --out /tmp/pilot.npz   # a pilot: any CharConfig field
    python scripts/make_char_model.py --evaluate    # no training: report on the shipped file
    add --readme to write the report into lstm_viz/presets/README.md (between its char_lstm markers)

The corpus and the features are lstm_viz.code_text's; the objective, the trainer and the measurements are
lstm_viz.charlm's. Numbers depend on the Python whose standard library is read: the report says which.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_viz.charlm import CharConfig, build_vocabulary, read_texts, train_char_model  # noqa: E402
from lstm_viz.code_text import FEATURES, corpus, corpus_record, features  # noqa: E402
from lstm_viz.presets import PRESETS, load_preset  # noqa: E402
from lstm_viz.weights import read_weights  # noqa: E402

RECIPE = CharConfig(seed=1)  # the shipped model's recipe: of two full runs (seeds 0, 1) seed 1 read
                             # held-out code better and has stronger bracket and indentation units
MIN_COUNT = 10             # a character must appear this often in the training files to get its own input
README = Path(__file__).resolve().parents[1] / "lstm_viz" / "presets" / "README.md"
PROSE = "(string or comment)"   # an extra row: a unit for prose of either kind explains a weak string unit
PROSE_WORDS = "inside a string or a comment: not a target, shown because docstrings and comments look alike"
BEGIN, END = "<!-- char_lstm report: begin -->", "<!-- char_lstm report: end -->"


def train(cfg: CharConfig, vocabulary: str, texts: list[str], held: list[str]):
    """Run the trainer to the end, printing progress; return the last model and read-out."""
    run, probe = None, [t[:3000] for t in held]
    for p in train_char_model("".join(texts), vocabulary, cfg):
        run = p.bits if run is None else 0.98 * run + 0.02 * p.bits
        if p.step % 500 == 0 or p.step == cfg.steps:
            probe_bits = read_texts(p.model, p.readout, probe, vocabulary).bits_per_char
            print(f"  step {p.step:5d}  train {run:.3f} bits/char  held-out probe {probe_bits:.3f}  "
                  f"|grad| {p.grad_norm:.2f}  {p.seconds:.0f} s", flush=True)
    return p.model, p.readout


def save(model, readout, vocabulary: str, path: Path) -> Path:
    """float32 weights under PyTorch names, the read-out, and the vocabulary as float code points."""
    arrays = {k: np.asarray(v, np.float32) for k, v in model.state_dict().items()}
    arrays["readout.weight"], arrays["readout.bias"] = (np.asarray(a, np.float32) for a in readout)
    arrays["vocabulary"] = np.array([ord(ch) for ch in vocabulary], np.float32)   # exact below 2**24
    np.savez_compressed(path, **arrays)
    return path


def report(model, readout, vocabulary: str, texts: list[str], held: list[str], cfg: CharConfig | None,
           seconds: float | None) -> str:
    """The README section: recipe, held-out bits per character and the unit table, as Markdown."""
    rec = corpus_record()
    t0 = time.perf_counter()
    reading = read_texts(model, readout, held, vocabulary, _features_and_prose)
    took = time.perf_counter() - t0
    H = model.hidden_size
    rows = []
    for name in (*FEATURES, PROSE):
        kind, unit, r = reading.best(name)
        row = reading.r[reading.features.index(name)]
        h, c = np.argmax(np.abs(row[:H])), np.argmax(np.abs(row[H:]))
        rows.append(f"| {name} | {FEATURES.get(name, PROSE_WORDS)} | `{kind}[{unit}]` | {r:+.3f} | "
                    f"`h[{h}]` {row[h]:+.3f}, `c[{c}]` {row[H + c]:+.3f} |")
    lines = [(f"Corpus: the standard library of Python {rec['python']}, {len(rec['train'])} training files "
              f"({sum(map(len, texts)):,} characters), license {rec['license'].split(' (')[0]}. Vocabulary: "
              f"the {len(vocabulary) - 1} characters seen at least {MIN_COUNT} times there, after the fallback.")]
    if cfg is not None:
        fields = ", ".join(f"{f.name}={getattr(cfg, f.name)}" for f in dataclasses.fields(cfg))
        lines.append(f"Recipe: `CharConfig({fields})`, {seconds / 60:.0f} minutes of CPU here.")
    lines += [
        "",
        (f"Held-out files ({', '.join(rec['heldout'])}; {reading.characters + len(held):,} characters, each "
         f"read from a zero state): **{reading.bits_per_char:.3f} bits per character** (read in {took:.1f} s)."),
        "",
        "| feature | value | best unit | r | best h unit, best c unit |",
        "| --- | --- | --- | --- | --- |",
        *rows,
    ]
    return "\n".join(lines)


def _features_and_prose(text: str) -> dict:
    """The code features plus one that is not a target: inside a string or a comment (prose, mostly)."""
    f = features(text)
    return {**f, PROSE: np.maximum(f["in_string"], f["in_comment"])}


def held_texts(heldout: bool = True) -> list[str]:
    return [t for _, t in corpus("heldout" if heldout else "train")]


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evaluate", action="store_true", help="report on the shipped file, no training")
    ap.add_argument("--readme", action="store_true", help="write the report into the presets README")
    ap.add_argument("--out", type=Path, default=PRESETS["char_lstm"].path, help="where to write (pilots)")
    for f in dataclasses.fields(CharConfig):
        ap.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(RECIPE, f.name)), default=None)
    args = ap.parse_args(argv)
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(CharConfig)
               if getattr(args, f.name) is not None}
    cfg = dataclasses.replace(RECIPE, **changes)
    texts, held = held_texts(False), held_texts()
    print(f"Python {corpus_record()['python']}: {len(texts)} training files "
          f"({sum(map(len, texts)):,} characters), {len(held)} held-out ({sum(map(len, held)):,})", flush=True)
    seconds = None
    if args.evaluate:
        loaded = load_preset("char_lstm")
        model, readout = loaded.model, (loaded.readout_weight, loaded.readout_bias)
        vocabulary = loaded.preset.vocabulary
    else:
        vocabulary = build_vocabulary(texts, MIN_COUNT)
        print(f"vocabulary: {len(vocabulary)} entries {vocabulary!r}\n{cfg}", flush=True)
        if vocabulary != PRESETS["char_lstm"].vocabulary:
            print("note: this vocabulary differs from lstm_viz.presets.CHAR_VOCABULARY; update it, or "
                  "load_preset will refuse the file", flush=True)
        t0 = time.process_time()
        model, readout = train(cfg, vocabulary, texts, held)
        seconds = time.process_time() - t0
        path = save(model, readout, vocabulary, args.out)
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
        shipped = read_weights(path, enforce_limits=False)           # measure exactly what ships
        model, readout = shipped.model, (shipped.readout_weight, shipped.readout_bias)
    text = report(model, readout, vocabulary, texts, held, None if args.evaluate else cfg, seconds)
    print("\n" + text)
    if args.readme:
        doc = README.read_text(encoding="utf-8")
        a, b = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        README.write_text(doc[:a] + "\n" + text + "\n" + doc[b:], encoding="utf-8")
        print(f"\nwrote the report into {README}")


if __name__ == "__main__":
    main(sys.argv[1:])
