"""Reproduce three classic LSTM results with this engine and print the paper's number beside ours.

    python scripts/reproduce_papers.py             # all three (about 25 min on 2 busy cores); writes
                                                   # lstm_viz/papers_results.json, which the app reads
    python scripts/reproduce_papers.py --quick     # a smaller run (a few minutes); writes only with --out
    python scripts/reproduce_papers.py --readme    # also rewrites the table in README.md between its markers
    python scripts/reproduce_papers.py --preset    # also writes lstm_viz/presets/anbn_peephole.npz
    python scripts/reproduce_papers.py --lengths 100 500   # also T=500 (not run here; ~14x T=100's cost)

Hochreiter & Schmidhuber 1997 (adding problem as published), Greff et al. 2017 (the LSTM variants at matched
budgets) and Gers & Schmidhuber 2001 (a^n b^n). Every run is seeded; only the wall-clock times differ
between machines. The tasks, rules and choices are documented in lstm_viz/papers.py and lstm_viz/anbn.py.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: one BLAS thread, as measured

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_viz import anbn, papers  # noqa: E402
from lstm_viz.cells import VARIANT_NAMES  # noqa: E402
from lstm_viz.presets import PRESET_DIR  # noqa: E402
from lstm_viz.train import state_dict  # noqa: E402

START, END = "<!-- reproduce_papers: start -->", "<!-- reproduce_papers: end -->"
HS_VARIANTS = {"nfg": "the 1997 cell (no forget gate)", "lstm": "PyTorch's LSTM (forget gate, bias 5)"}
GREFF_NAMES = {"nfg": "NFG", "noaf": "NOAF", "cifg": "CIFG", "lstm": "NP"}
FULL = dict(hs_seeds=(0, 1, 2), hs_variants=tuple(HS_VARIANTS), hs_cap=300_000,
            greff_seeds=(0, 1, 2, 3, 4), greff_variants=VARIANT_NAMES, greff_steps=None,
            anbn_seeds=(0, 1, 2, 3, 4), anbn_steps=4000, anbn_n_max=1000)
QUICK = dict(hs_seeds=(0,), hs_variants=("nfg",), hs_cap=150_000,
             greff_seeds=(0,), greff_variants=("peephole", "lstm", "nfg", "noaf", "cifg"), greff_steps=200,
             anbn_seeds=(0,), anbn_steps=1000, anbn_n_max=200)


def _span(values) -> str:
    values = sorted(values)
    return f"{values[0]:,}" if len(values) == 1 else f"{values[0]:,}-{values[-1]:,}"


def _seeds(seeds) -> str:
    return f"{seeds[0]}" if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"


def hs_rows(runs: list[dict], batch: int) -> list[dict]:
    """One row per (T, cell): median training sequences to solution beside the paper's Table 7."""
    rows = []
    for T in dict.fromkeys(r["T"] for r in runs):
        for variant, cell in HS_VARIANTS.items():
            mine = [r for r in runs if r["T"] == T and r["variant"] == variant]
            if not mine:
                continue
            got = [r["sequences"] for r in mine if r["solved"]]
            paper = papers.HS_PAPER[T]
            worst = max(r["test_wrong"] for r in mine if r["solved"]) if got else None
            if got:
                med = int(np.median(got))
                mae = max(r["window_mae"] for r in mine if r["solved"])
                ours = (f"median {med:,} ({_span(got)}); {len(got)} of {len(mine)} seeds solved; batches of "
                        f"{batch}; at most {worst} of 2,560 test sequences wrong; mean absolute error at the "
                        f"stop at most {mae:.4f}" + (", below 0.01 too" if mae < papers.HS_MEAN else ""))
                ratio, missed = med / paper, len(mine) - len(got)
                verdict = (f"{'Agrees' if 0.5 <= ratio <= 2 else 'Same direction'}: LSTM bridges lags of "
                           f"{T // 2}+ steps; our median is {ratio:.2f}x the paper's count"
                           + (f", but {missed} seed(s) never met the rule" if missed else "") + ".")
            else:
                ours = f"not solved by {len(mine)} seed(s) within {mine[0]['tried']:,} sequences each"
                verdict = "Disagrees: no seed met the stopping rule in our budget."
            rows.append(dict(
                paper="Hochreiter & Schmidhuber 1997",
                experiment=f"adding problem as published, T = {T}, {cell}",
                measured="training sequences until the last 2,000 were all solved (absolute error below "
                         "0.04) and their mean squared error was below 0.01",
                paper_figure=f"{paper:,} (online, one sequence per update; 2 blocks of 2 cells, "
                             "no forget gate)",
                ours=ours, seeds=_seeds([r["seed"] for r in mine]), seconds=sum(r["seconds"] for r in mine),
                verdict=verdict))
    return rows


WORDS = {"worse": "worse than", "better": "better than", "slower": "slower to learn than",
         "faster": "faster to learn than", "same": "about the same as"}


def _task_words(summary, variant, task) -> str:
    row = {r["variant"]: r for r in summary if r["task"] == task}
    me, ref, n = row[variant], row[papers.GREFF_REFERENCE], len(row)
    steps = (f", median steps to target {_steps(me)} ({me['reached']} of {me['seeds']} seeds got there) vs "
             f"{_steps(ref)}")
    rank = f"{steps} (rank {me['rank']} of {n})" + (
        f" [{me['cut']} run(s) stopped by the 60 s clock before their steps]" if me.get("cut") else "")
    if task == "adding":
        return f"adding: MSE {me['median_error']:.2g} vs {ref['median_error']:.2g}{rank}"
    return (f"{task.replace('_', ' ')}: accuracy {100 * (1 - me['median_error']):.0f}% vs "
            f"{100 * (1 - ref['median_error']):.0f}%{rank}")


def _steps(row) -> str:
    """Median steps to the target, or why there is none (the median needs most seeds to get there)."""
    if row["median_steps"] is not None:
        return f"{row['median_steps']:.0f}"
    return "never" if row["reached"] == 0 else "not on most seeds"


def greff_rows(summary: list[dict], runs: list[dict], specs) -> list[dict]:
    """One row per finding of Greff et al., judged on each task against our 'peephole' (their vanilla)."""
    findings = [("nfg", "hurts", "removing the forget gate (NFG) hurts most"),
                ("noaf", "hurts", "removing the output activation (NOAF) hurts most"),
                ("cifg", "little", "coupling input and forget gates (CIFG) costs little"),
                ("lstm", "little", "removing the peepholes (NP; our 'lstm') costs little")]
    have = {r["variant"] for r in summary}
    tasks = [s.task for s in specs]
    budget = ", ".join(f"{s.task.replace('_', ' ')} T = {s.length}, {s.max_steps} Adam steps" for s in specs)
    rows = []
    for variant, kind, finding in findings:
        if variant not in have or papers.GREFF_REFERENCE not in have:
            continue
        said = {t: papers.compare(summary, variant, t) for t in tasks}
        good = [t for t in tasks if (said[t] in ("worse", "slower")) == (kind == "hurts")]
        agree = "Agrees" if len(good) == len(tasks) else "Partly agrees" if good else "Disagrees"
        words = "; ".join(f"on {t.replace('_', ' ')} {WORDS[said[t]]} the vanilla (peephole) LSTM"
                          for t in tasks)
        mine = [r for r in runs if r["variant"] in (variant, papers.GREFF_REFERENCE)]
        rows.append(dict(
            paper="Greff et al. 2017", experiment=f"{finding} ({budget})",
            measured="median final test error (and median steps to the target) against the vanilla "
                     "(peephole) LSTM, same steps and seeds",
            paper_figure=("significantly worse than vanilla on all 3 data sets (TIMIT, IAM Online, "
                          "JSB Chorales)" if kind == "hurts" else
                          "no significant difference from vanilla on the 3 data sets"),
            ours="; ".join(_task_words(summary, variant, t) for t in tasks),
            seeds=_seeds(sorted({r["seed"] for r in runs})), seconds=sum(r["seconds"] for r in mine),
            verdict=f"{agree}: {words}."))
    return rows


def anbn_row(runs: list[dict], cfg) -> dict:
    reach = [r["generalises"] for r in runs]
    cap = runs[0]["n_max"]
    med = int(np.median(reach))
    best = "every n tested" if max(reach) >= cap else f"n = {max(reach)}"
    return dict(
        paper="Gers & Schmidhuber 2001", experiment=f"a^n b^n, peephole LSTM with {cfg.hidden_size} cells, "
                                                   f"trained on n = 1..{cfg.train_max_n}",
        measured=f"largest N with every n = 1..N predicted right at every step (tested up to n = {cap:,})",
        paper_figure=f"n = {anbn.PAPER_N:,} for the best network (from memory of the paper, not re-checked "
                     f"here); a NumPy reproduction with 2 cells reported n = {anbn.REPORTED_N[0]}-"
                     f"{anbn.REPORTED_N[1]}",
        ours=f"median n = {med:,} (range {_span(reach)}; best: {best}); {cfg.steps:,} Adam steps on the 10 "
             "training strings",
        seeds=_seeds([r["seed"] for r in runs]), seconds=sum(r["seconds"] + r["test_seconds"] for r in runs),
        verdict=_anbn_verdict(reach, cap, cfg.train_max_n))


def _anbn_verdict(reach: list[int], cap: int, trained: int) -> str:
    past = sum(r > trained for r in reach)
    if past < len(reach):
        return f"Partly: {past} of {len(reach)} seeds count past n = {trained}, the rest do not."
    top, times = max(reach) >= cap, np.median(reach) / trained
    return (f"Same direction: every seed counts past the training range (median {times:.0f}x it); "
            f"{'the best reaches' if top else 'none reaches'} the test cap of n = {cap:,}"
            + (", the paper's best figure." if top and cap >= anbn.PAPER_N else "."))


def run_all(plan: dict, lengths, log=print) -> tuple[dict, dict]:
    """Every experiment of the plan: (results for the JSON file, the a^n b^n models by seed)."""
    hs_runs = []
    for T in lengths:
        for variant in plan["hs_variants"]:
            for seed in plan["hs_seeds"]:
                cfg = papers.HSConfig(T=T, variant=variant, seed=seed, max_sequences=plan["hs_cap"])
                hs_runs.append(papers.hs_run(cfg))
                log(f"  H&S T={T} {variant} seed {seed}: {hs_runs[-1]}")
    specs = [papers.GreffTask(s.task, s.length, plan["greff_steps"] or s.max_steps, s.target)
             for s in papers.GREFF_TASKS]
    greff_runs = []
    for spec in specs:
        for variant in plan["greff_variants"]:
            for seed in plan["greff_seeds"]:
                greff_runs.append(papers.greff_run(spec, variant, seed))
                log(f"  Greff {spec.task} {variant} seed {seed}: {greff_runs[-1]}")
    acfg, anbn_runs, models = anbn.AnbnConfig(steps=plan["anbn_steps"]), [], {}
    for seed in plan["anbn_seeds"]:
        result, model, readout = anbn.anbn_run(replace(acfg, seed=seed), plan["anbn_n_max"])
        anbn_runs.append(result)
        models[seed] = (model, readout)
        log(f"  a^n b^n seed {seed}: {result}")
    results = dict(hs=dict(config=papers.config_dict(papers.HSConfig()), runs=hs_runs),
                   greff=dict(tasks=[vars(s) for s in specs], runs=greff_runs,
                              summary=papers.greff_summary(greff_runs)),
                   anbn=dict(config=papers.config_dict(acfg), runs=anbn_runs))
    return results, models


def with_rows(results: dict) -> dict:
    """The results with their paper-vs-ours rows, rebuilt from the stored runs alone."""
    specs = [papers.GreffTask(**t) for t in results["greff"]["tasks"]]
    results["greff"]["summary"] = papers.greff_summary(results["greff"]["runs"])
    rows = (hs_rows(results["hs"]["runs"], results["hs"]["config"]["batch_size"])
            + greff_rows(results["greff"]["summary"], results["greff"]["runs"], specs)
            + [anbn_row(results["anbn"]["runs"], anbn.AnbnConfig(**results["anbn"]["config"]))])
    return {"rows": rows, **{k: v for k, v in results.items() if k != "rows"}}


def markdown(results: dict) -> str:
    """The rows as a Markdown table (what README.md shows)."""
    head = ("| paper | what was measured | paper | ours | seeds | time | verdict |\n"
            "|---|---|---|---|---|---:|---|")
    lines = [f"| {r['paper']} | {r['experiment']}: {r['measured']} | {r['paper_figure']} | {r['ours']} | "
             f"{r['seeds']} | {r['seconds']:.0f} s | {r['verdict']} |" for r in results["rows"]]
    g = results["generated"]
    note = f"\n\n`{g['command']}`: {g['seconds'] / 60:.0f} min in all on {g['machine']}."
    return "\n".join([head, *lines]) + note + "\n\n" + variant_table(results)


def variant_table(results: dict) -> str:
    """Every variant of the Greff runs: median final score and steps to the target, per task."""
    tasks = results["greff"]["tasks"]
    rows = {(r["task"], r["variant"]): r for r in results["greff"]["summary"]}
    goal = {t["task"]: f"MSE {t['target']:g}" if t["task"] == "adding" else f"{t['target']:.0%}"
            for t in tasks}
    head = "| variant | " + " | ".join(
        f"{t['task'].replace('_', ' ')}: {'MSE' if t['task'] == 'adding' else 'accuracy'} | median steps to "
        f"{goal[t['task']]} (seeds there)" for t in tasks) + " |"
    lines = [head, "|---" + "|---:" * 2 * len(tasks) + "|"]
    for v in dict.fromkeys(r["variant"] for r in results["greff"]["summary"]):
        cells = []
        for t in tasks:
            r = rows[(t["task"], v)]
            err = r["median_error"]
            score = f"{err:.2g}" if t["task"] == "adding" else f"{100 * (1 - err):.0f}%"
            cells += [score, f"{_steps(r)} ({r['reached']} of {r['seeds']})"]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    budget = "; ".join(f"{t['task'].replace('_', ' ')}: {t['max_steps']} Adam steps at T = {t['length']}"
                       for t in tasks)
    return (f"Greff et al.'s variants on our tasks, medians over seeds {_seeds(_greff_seeds(results))} "
            f"({budget}; 'peephole' is their vanilla LSTM, 'lstm' their NP):\n\n" + "\n".join(lines))


def _greff_seeds(results: dict) -> list[int]:
    return sorted({r["seed"] for r in results["greff"]["runs"]})


def write_preset(results: dict, models: dict) -> None:
    """The a^n b^n model of the seed that counted furthest, as lstm_viz/presets/anbn_peephole.npz."""
    best = max(results["anbn"]["runs"], key=lambda r: (r["generalises"], -r["seed"]))
    model, readout = models[best["seed"]]
    path = PRESET_DIR / "anbn_peephole.npz"
    np.savez(path, **state_dict(model, readout))
    try:
        unit, up, down = anbn.counter_unit(model)
    except ValueError:
        unit = up = down = None
    reach = anbn.generalises(model, readout, 5000)
    results["anbn"]["preset"] = dict(seed=best["seed"], counter_unit=unit, per_a=up, per_b=down,
                                     generalises_to_5000=reach)
    print(f"wrote {path.name}: seed {best['seed']}, counter unit {unit} (c per a, per b: {up}, {down}), "
          f"accepts every n up to {reach} (tested to 5,000)")


def write_readme(table: str) -> None:
    path = ROOT / "README.md"
    text = path.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} block to rewrite.")
    head, rest = text.split(START, 1)
    path.write_text(head + START + "\n" + table + "\n" + END + rest.split(END, 1)[1])
    print("rewrote the table in README.md")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller run of a few minutes")
    ap.add_argument("--out", type=Path, help="where to write the results (full runs: the committed file)")
    ap.add_argument("--readme", action="store_true", help="rewrite the table in README.md")
    ap.add_argument("--preset", action="store_true", help="write lstm_viz/presets/anbn_peephole.npz")
    ap.add_argument("--lengths", type=int, nargs="+", default=[100], help="adding-problem T (100 500 1000)")
    ap.add_argument("--rows-only", action="store_true",
                    help="run nothing: rebuild the rows and tables from the stored runs of the results file")
    args = ap.parse_args(argv)
    if args.rows_only:
        return _rows_only(args)
    t0 = time.perf_counter()
    results, models = run_all(QUICK if args.quick else FULL, args.lengths)
    command = "python scripts/reproduce_papers.py" + (" --quick" if args.quick else "") + (
        "" if args.lengths == [100] else " --lengths " + " ".join(map(str, args.lengths)))
    results["generated"] = dict(
        command=command, quick=args.quick, seconds=time.perf_counter() - t0, date=time.strftime("%Y-%m-%d"),
        machine=f"{os.cpu_count()} shared cores ({platform.machine()}), one BLAS thread, load average "
                f"{os.getloadavg()[0]:.0f} at the end, numpy {np.__version__}")
    if args.preset:
        write_preset(results, models)
    results = with_rows(results)
    table = markdown(results)
    print("\n" + table)
    out = args.out or (None if args.quick else papers.RESULTS_PATH)
    if out:
        papers.save_results(results, out)
        print(f"wrote {out}")
    if args.readme:
        write_readme(table)


def _rows_only(args) -> None:
    path = args.out or papers.RESULTS_PATH
    results = with_rows(papers.load_results(path))
    papers.save_results(results, path)
    table = markdown(results)
    print(table + f"\nrewrote the rows of {path}")
    if args.readme:
        write_readme(table)


if __name__ == "__main__":
    main()
