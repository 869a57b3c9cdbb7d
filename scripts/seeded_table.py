#!/usr/bin/env python3
"""The seeded bugs' time-to-detect table: one row per seeded bug (allocator/include/bugs.h),
one column per driver and start (fuzz_ops and fuzz_sched from an empty corpus and from the
committed seeds, slab-stress), filled from the measurements in bench/results/:

  fuzz_ttd*.md       bench/fuzz_ttd.sh: one row per run (bug, libFuzzer seed, seconds,
                     first report); the header names the target, preset, start and limit
  stress_detect*.md  bench/stress_detect_rate.sh: detected runs and seconds per bug, preset

A cell is the median over the runs of one file (the fuzz-seeded build's if there is one,
else another seeded build's; then the file with the most runs for that bug) (a run that
found nothing counts as the limit, so such a median is a bound: "> limit"), the runs that
found it, and the first report of the median run; "-" where nothing was measured. Nothing
in the table is typed by hand.

  seeded_table.py                print the table
  seeded_table.py --write        put it into README.md (between its seeded-ttd markers) and
                                 bench/results/seeded_bugs.md
  seeded_table.py --check        exit 1 if README.md's table is not what the results give

Exit status: 0 done (or up to date), 1 stale (--check), 2 bad usage or unreadable input.
"""
import argparse
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- seeded-ttd:begin (scripts/seeded_table.py --write) -->"
END = "<!-- seeded-ttd:end -->"
COLUMNS = [("fuzz_ops", "empty"), ("fuzz_ops", "seeds"), ("fuzz_sched", "empty"),
           ("fuzz_sched", "seeds")]

FUZZ_HEADER = re.compile(r"^# Time to detect from (an empty corpus|the committed seeds) "
                         r"\((?:(fuzz_\w+), )?([\w-]+), one core, libFuzzer -seed=1\.\.(\d+), at most (\d+)s\)")
STRESS_HEADER = re.compile(r"^# slab-stress detection rate: seeds 1\.\.(\d+), (\d+)s each")


def die(msg):
    print("seeded_table: " + msg, file=sys.stderr)
    sys.exit(2)


def seeded_bugs(root):
    path = os.path.join(root, "allocator", "include", "bugs.h")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        die("cannot read %s: %s" % (path, e))
    bugs = re.findall(r"^\s*X\((\w+),", text, re.M)
    if not bugs:
        die("no X(name, ...) seeded bugs in %s" % path)
    return bugs


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def result_tables(root, pattern, header, ncells):
    """(file name, header match, table rows of ncells cells) of each bench/results/pattern
    file whose first line matches header."""
    for path in sorted(glob.glob(os.path.join(root, "bench", "results", pattern))):
        lines = open(path, encoding="utf-8").read().splitlines()
        m = header.match(lines[0]) if lines else None
        if m:
            rows = [c for c in map(cells, lines[1:]) if len(c) == ncells]
            yield os.path.basename(path), m, rows


def fuzz_results(root):
    """{(bug, target, start): [file, preset, limit, [(seconds, found, signature)]]}"""
    found = {}
    for name, m, rows in result_tables(root, "fuzz_ttd*.md", FUZZ_HEADER, 5):
        start = "empty" if m.group(1) == "an empty corpus" else "seeds"
        # (the first tables, of fuzz_ops only, did not name the target)
        target, preset, limit = m.group(2) or "fuzz_ops", m.group(3), float(m.group(5))
        runs = {}
        for c in rows:
            if not c[1].isdigit():
                continue
            try:
                secs = float(c[2])
            except ValueError:
                continue
            runs.setdefault(c[0], []).append((secs, c[3] != "not found", c[3]))
        for bug, rs in runs.items():
            key = (bug, target, start)
            best = found.get(key)
            # the fuzz-seeded build (lockdep-lite on, as users fuzz) first, then the most runs
            rank = (preset == "fuzz-seeded", len(rs))
            if not best or rank > (best[1] == "fuzz-seeded", len(best[3])):
                found[key] = [name, preset, limit, rs]
    return found


def stress_results(root):
    """{bug: [file, preset, seconds limit, detected, runs, [seconds]]}"""
    found = {}
    for name, m, rows in result_tables(root, "stress_detect*.md", STRESS_HEADER, 4):
        limit = float(m.group(2))
        for c in rows:
            if not re.match(r"^\d+/\d+$", c[2]):
                continue
            det, n = (int(x) for x in c[2].split("/"))
            times = [float(t.rstrip("s")) for t in c[3].split()]
            best = found.get(c[0])
            # the most runs wins; on a tie the ASan build
            if not best or n > best[4] or (n == best[4] and c[1] == "asan"):
                found[c[0]] = [name, c[1], limit, det, n, times]
    return found


def fmt_secs(s):
    return ("%.1f s" % s) if s < 100 else ("%.0f s" % s)


def fuzz_cell(entry):
    if not entry:
        return "-"
    _, preset, limit, runs = entry
    ordered = sorted(runs, key=lambda r: r[0] if r[1] else limit)
    med = ordered[(len(ordered) - 1) // 2]
    hits = sum(1 for r in runs if r[1])
    where = "" if preset == "fuzz-seeded" else ", %s" % preset
    if not med[1]:
        return "> %s (%d/%d%s)" % (fmt_secs(limit), hits, len(runs), where)
    return "%s (%d/%d%s) `%s`" % (fmt_secs(med[0]), hits, len(runs), where, med[2])


def stress_cell(entry):
    if not entry:
        return "-"
    _, preset, limit, det, n, times = entry
    if not det:
        return "> %s (0/%d, %s)" % (fmt_secs(limit), n, preset)
    times = sorted(times)
    return "%s (%d/%d, %s)" % (fmt_secs(times[(len(times) - 1) // 2]), det, n, preset)


def table(root):
    bugs = seeded_bugs(root)
    fz = fuzz_results(root)
    st = stress_results(root)
    out = ["| seeded bug | fuzz_ops, empty corpus | fuzz_ops, from the seeds | fuzz_sched, empty corpus "
           "| fuzz_sched, from the seeds | slab-stress |",
           "|---|---|---|---|---|---|"]
    for b in bugs:
        row = [fuzz_cell(fz.get((b, t, s))) for t, s in COLUMNS] + [stress_cell(st.get(b))]
        out.append("| `%s` | %s |" % (b, " | ".join(row)))
    sources = sorted({e[0] for e in fz.values()} | {e[0] for e in st.values()})
    out.append("")
    out.append("Median time to the first report (runs that found it / runs; a run that found "
               "nothing counts as its limit, so `>` is a bound), and the median run's first report. "
               "Wall-clock seconds on one core, from %s in bench/results/; `-`: not measured."
               % ", ".join("`%s`" % s for s in sources))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="The seeded bugs' time-to-detect table (README.md).")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="update README.md and bench/results/seeded_bugs.md")
    g.add_argument("--check", action="store_true", help="exit 1 if README.md's table is stale")
    ap.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args()
    t = table(args.root)
    if not (args.write or args.check):
        sys.stdout.write(t)
        return 0
    readme = os.path.join(args.root, "README.md")
    text = open(readme, encoding="utf-8").read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        die("README.md has no %s ... %s section" % (BEGIN, END))
    new = text[:i + len(BEGIN)] + "\n" + t + text[j:]
    if args.check:
        if new != text:
            print("seeded_table: README.md's seeded-bug table is stale: run scripts/seeded_table.py --write",
                  file=sys.stderr)
            return 1
        return 0
    with open(readme, "w", encoding="utf-8") as f:
        f.write(new)
    with open(os.path.join(args.root, "bench", "results", "seeded_bugs.md"), "w", encoding="utf-8") as f:
        f.write("# Seeded bugs: time to detect by driver (scripts/seeded_table.py)\n\n" + t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
