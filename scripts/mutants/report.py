#!/usr/bin/env python3
"""The `make mutants` scoreboard: OUT_DIR/results.tsv (scripts/mutants.sh) -> bench/results/mutants.md.

  report.py [--out-dir DIR] [--output FILE] [--equivalent FILE]

--out-dir     what mutants.sh wrote (default: $OUT_DIR, else mutants-out/ of this checkout):
              results.tsv, and slot0/src, the copy of the tree the mutants were made from
              (the pool and the survivors' patches come from it; else from this checkout)
--output      the Markdown file (default bench/results/mutants.md of this checkout)
--equivalent  mutants known to be equivalent, `ID  reason` a line, `#` comments (default
              scripts/mutants/equivalent.txt): they do not count against the kill rate

Kill rates are over the scored mutants: compiled, and not equivalent (neither a survivor
listed in --equivalent nor with object code identical to the unmutated build's; a listed
mutant that was killed is scored, and flagged). Exit status: 0,
1 no results to report, 2 bad usage.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COLUMNS = ["id", "file", "line", "function", "family", "operator", "status", "killer",
           "detail", "kill_s", "signature", "build_s", "checks_s"]
KILLERS = ["regress", "unit", "fuzz", "stress"]


def die(msg, status=2):
    print("report.py: " + msg, file=sys.stderr)
    sys.exit(status)


def read_results(path):
    settings, rows = {}, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# settings:"):
                text = line[len("# settings:"):]
                for m in re.finditer(r"(\w+)=(.*?)(?= \w+=|$)", text):
                    settings[m.group(1)] = m.group(2).strip()
                continue
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            cells += [""] * (len(COLUMNS) - len(cells))
            rows.append(dict(zip(COLUMNS, cells)))
    return settings, rows


def read_equivalent(path):
    eq = {}
    if not os.path.exists(path):
        return eq
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            eq[parts[0]] = parts[1] if len(parts) > 1 else ""
    return eq


def generate(args, src):
    return subprocess.run([sys.executable, os.path.join(HERE, "generate.py")] + args + ["--src", src],
                          capture_output=True, text=True)


def rate(k, n):
    return "%.0f%%" % (100.0 * k / n) if n else "-"


def median(xs):
    return "%.1fs" % statistics.median(xs) if xs else "-"


def table(out, title, key, rows, pool_rows=None):
    groups = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    pool_counts = {}
    for p in pool_rows or []:
        pool_counts[p[key]] = pool_counts.get(p[key], 0) + 1
    names = sorted(set(groups) | set(pool_counts), key=lambda g: (-len(groups.get(g, [])), g))
    out.append("### %s\n" % title)
    head = "| %s |%s tested | scored | killed | survived | kill rate | median time to kill |" % (
        key, " pool |" if pool_rows is not None else "")
    out.append(head)
    out.append("|---|" + ("---:|" if pool_rows is not None else "") + "---:|---:|---:|---:|---:|---:|")
    for g in names:
        rs = groups.get(g, [])
        scored = [r for r in rs if r["scored"]]
        killed = [r for r in scored if r["status"] == "killed"]
        times = [float(r["kill_s"]) for r in killed if r["kill_s"] not in ("", "-")]
        out.append("| %s |%s %d | %d | %d | %d | %s | %s |" % (
            g, (" %d |" % pool_counts.get(g, 0)) if pool_rows is not None else "", len(rs),
            len(scored), len(killed), len(scored) - len(killed), rate(len(killed), len(scored)),
            median(times)))
    out.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--out-dir", default=os.environ.get("OUT_DIR") or os.path.join(ROOT, "mutants-out"))
    ap.add_argument("--output", default=os.path.join(ROOT, "bench/results/mutants.md"))
    ap.add_argument("--equivalent", default=os.path.join(HERE, "equivalent.txt"))
    args = ap.parse_args()
    results = os.path.join(args.out_dir, "results.tsv")
    if not os.path.exists(results):
        die("no %s: run scripts/mutants.sh (make mutants) first" % results, 1)
    settings, rows = read_results(results)
    if not rows:
        die("%s holds no finished mutant yet" % results, 1)
    src = os.path.join(args.out_dir, "slot0", "src")
    if not os.path.isdir(os.path.join(src, "allocator")):
        src = ROOT
    listed = read_equivalent(args.equivalent)

    pool = []
    gl = generate(["--list"], src)
    if gl.returncode == 0:
        for line in gl.stdout.splitlines():
            c = line.split("\t")
            pool.append(dict(zip(["id", "file", "line", "function", "family", "operator"], c)))
    pool_ids = {p["id"] for p in pool}

    # A listed mutant that was killed is not equivalent after all: it is scored (and flagged).
    for r in rows:
        r["listed_equivalent"] = r["id"] in listed and r["status"] == "survived"
        r["scored"] = r["status"] in ("killed", "survived") and not r["listed_equivalent"]
    tested = len(rows)
    uncompiled = [r for r in rows if r["status"] == "uncompiled"]
    auto_eq = [r for r in rows if r["status"] == "equivalent"]
    listed_eq = [r for r in rows if r["id"] in listed and r["status"] in ("killed", "survived")]
    scored = [r for r in rows if r["scored"]]
    killed = [r for r in scored if r["status"] == "killed"]
    survivors = [r for r in scored if r["status"] == "survived"]
    kill_times = [float(r["kill_s"]) for r in killed if r["kill_s"] not in ("", "-")]

    out = []
    out.append("# Mutation testing: how much of the allocator the suite notices\n")
    out.append("`make mutants` (scripts/mutants.sh, scripts/mutants/): each mutant is one line-level "
               "change of allocator/*.c or allocator/platform/*.c (scripts/mutants/generate.py; the "
               "harness files of platform/ excluded), built in the `fuzz` preset's configuration and "
               "run against the regression traces, then the unit tests, then fuzz_ops and fuzz_sched from their seed corpora, then slab-stress; the first that fails "
               "kills it. A survivor is a change none of them notices: a test to write, or an "
               "equivalent mutant to list in scripts/mutants/equivalent.txt.\n")
    s = settings
    out.append("Settings: MUTANT_TIME=%ss (fuzzing per mutant, half each target), MUTANTS=%s, SEED=%s%s%s, "
               "checks %s, MUTANT_TIMEOUT=%ss, JOBS=%s; sources %s (commit %s).\n" % (
                   s.get("MUTANT_TIME", "?"), s.get("MUTANTS", "?"), s.get("SEED", "?"),
                   (", FILTER=`%s`" % s["FILTER"]) if s.get("FILTER") else "",
                   (", IDS=%s" % s["IDS"]) if s.get("IDS") else "",
                   s.get("CHECKS", "?"), s.get("MUTANT_TIMEOUT", "?"), s.get("JOBS", "?"),
                   s.get("sources", "?"), s.get("commit", "?")))

    out.append("## Summary\n")
    out.append("| | mutants |")
    out.append("|---|---:|")
    out.append("| pool (generated) | %s |" % (len(pool) if pool else s.get("pool", "?")))
    out.append("| tested | %d |" % tested)
    out.append("| did not compile (discarded) | %d |" % len(uncompiled))
    out.append("| compiled | %d |" % (tested - len(uncompiled)))
    out.append("| equivalent: object code identical to the unmutated build's | %d |" % len(auto_eq))
    out.append("| equivalent: listed in scripts/mutants/equivalent.txt (and survived) | %d |" %
               sum(1 for r in rows if r["listed_equivalent"]))
    out.append("| **scored** (compiled, not equivalent) | **%d** |" % len(scored))
    out.append("| killed | %d |" % len(killed))
    out.append("| survived | %d |" % len(survivors))
    out.append("| **kill rate** | **%s** |" % rate(len(killed), len(scored)))
    out.append("| median time to kill (from the start of the checks) | %s |" % median(kill_times))
    out.append("")

    out.append("## Who kills\n")
    out.append("| killer | kills | share of kills | median time to kill |")
    out.append("|---|---:|---:|---:|")
    for k in KILLERS:
        ks = [r for r in killed if r["killer"] == k]
        ts = [float(r["kill_s"]) for r in ks if r["kill_s"] not in ("", "-")]
        details = {}
        for r in ks:
            if k == "fuzz":
                details[r["detail"]] = details.get(r["detail"], 0) + 1
        extra = (" (%s)" % ", ".join("%s %d" % kv for kv in sorted(details.items()))) if details else ""
        out.append("| %s%s | %d | %s | %s |" % (k, extra, len(ks), rate(len(ks), len(killed)), median(ts)))
    out.append("")
    out.append("A mutant counts for the first check that fails on it (they run in the order above), "
               "so later checks are credited only with what the earlier ones miss.\n")

    out.append("## Kill rate by file, family and operator\n")
    table(out, "By file", "file", rows)
    table(out, "By family (scripts/mutants/families.txt)", "family", rows, pool)
    table(out, "By operator", "operator", rows, pool)

    out.append("## Survivors (%d)\n" % len(survivors))
    if not survivors:
        out.append("None.\n")
    for r in sorted(survivors, key=lambda r: (r["file"], int(r["line"] or 0), r["id"])):
        out.append("### `%s` (%s, %s, %s)\n" % (r["id"], r["function"], r["family"], r["operator"]))
        gp = generate(["--patch", r["id"]], src)
        patch = gp.stdout if gp.returncode == 0 else "(no patch: %s)\n" % gp.stderr.strip()
        out.append("```diff\n%s```\n" % patch)

    if listed_eq:
        out.append("## Listed as equivalent (%d)\n" % len(listed_eq))
        out.append("| mutant | outcome | reason |")
        out.append("|---|---|---|")
        for r in listed_eq:
            note = r["status"] + (" (**so not equivalent: scored as killed; remove the line**)"
                                  if r["status"] == "killed" else "")
            out.append("| `%s` | %s | %s |" % (r["id"], note, listed[r["id"]]))
        out.append("")
    stale = sorted(i for i in listed if pool_ids and i not in pool_ids)
    if stale:
        out.append("Ids in scripts/mutants/equivalent.txt that are not in the pool of this tree "
                   "(the source moved: update them): %s\n" % ", ".join("`%s`" % i for i in stale))
    if auto_eq:
        out.append("## Equivalent by object code (%d)\n" % len(auto_eq))
        out.append(", ".join("`%s`" % r["id"] for r in auto_eq) + "\n")
    if uncompiled:
        out.append("## Did not compile (%d)\n" % len(uncompiled))
        out.append("| mutant | error |")
        out.append("|---|---|")
        for r in uncompiled:
            out.append("| `%s` | %s |" % (r["id"], r["signature"].replace("|", "\\|")))
        out.append("")
    if killed:
        out.append("## Killed (%d)\n" % len(killed))
        out.append("| mutant | function | killer | seconds | signature |")
        out.append("|---|---|---|---:|---|")
        for r in sorted(killed, key=lambda r: (r["file"], int(r["line"] or 0), r["id"])):
            out.append("| `%s` | %s | %s | %s | %s |" % (
                r["id"], r["function"], r["killer"] + ("/" + r["detail"] if r["killer"] == "fuzz" else ""),
                r["kill_s"], r["signature"].replace("|", "\\|")))
        out.append("")

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("\n".join(out))
    print("report.py: %s: %d tested, %d scored, %d killed (%s), %d survived" % (
        os.path.relpath(args.output, os.getcwd()) if args.output.startswith(os.getcwd()) else args.output,
        tested, len(scored), len(killed), rate(len(killed), len(scored)), len(survivors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
