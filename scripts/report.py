#!/usr/bin/env python3
"""The morning report of a fuzz run: OUT_DIR/report/{index.html,summary.md,summary.json,*.png}.

    scripts/report.py OUT_DIR [RUN_DIR]     (RUN_DIR default: OUT_DIR/latest)

Reads RUN_DIR/run.json and RUN_DIR/stats/<target>-<engine>.tsv (written by scripts/fuzz.sh:
elapsed s, execs, exec/s, coverage, corpus, found, stability), OUT_DIR/crashes/<target>/<bug>/
(scripts/triage.sh) and OUT_DIR/coverage/summary.json (scripts/coverage.sh). Plots with gnuplot.
Standard library only.
"""
import html, json, os, subprocess, sys, time

out_dir = os.path.abspath(sys.argv[1])
run_dir = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(out_dir, "latest"))
rep = os.path.join(out_dir, "report")
os.makedirs(rep, exist_ok=True)
run = json.load(open(os.path.join(run_dir, "run.json")))

series = {}
stats_dir = os.path.join(run_dir, "stats")
for name in sorted(os.listdir(stats_dir)) if os.path.isdir(stats_dir) else []:
    rows = []
    for line in open(os.path.join(stats_dir, name)):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 6:
            rows.append([int(f[0]), int(f[1]), int(f[2]), int(f[3] or 0), int(f[4] or 0), int(f[5] or 0),
                         float(f[6]) if len(f) > 6 and f[6] else None])
    if rows:
        series[name[:-4]] = rows

elapsed = max(run["elapsed"], 1)
engines = []
for key, rows in series.items():
    last = rows[-1]
    target, engine = key.rsplit("-", 1)
    engines.append({"target": target, "engine": engine, "execs": last[1], "exec_per_sec": last[1] // elapsed,
                    "coverage": last[3], "coverage_unit": "edges (AFL++ map)" if engine == "afl" else "libFuzzer counters",
                    "corpus": last[4], "found": last[5], "stability": last[6]})

crashes = []
cdir = os.path.join(out_dir, "crashes")
rd = lambda p, d="": open(p).read().strip() if os.path.exists(p) else d
for target in sorted(os.listdir(cdir)) if os.path.isdir(cdir) else []:
    tdir = os.path.join(cdir, target)
    if not os.path.isdir(tdir):
        continue
    for bug in sorted(os.listdir(tdir)):
        d = os.path.join(tdir, bug)
        if not os.path.exists(os.path.join(d, "signature")):
            continue
        minops = sum(1 for l in open(os.path.join(d, "crash.min.trace")) if l.startswith("cpu")) \
            if os.path.exists(os.path.join(d, "crash.min.trace")) else None
        new = sum(1 for l in open(os.path.join(run_dir, "triaged")) if l.strip() == bug) \
            if os.path.exists(os.path.join(run_dir, "triaged")) else 0
        crashes.append({"target": target, "dir": os.path.relpath(d, out_dir), "kind": rd(os.path.join(d, "kind")),
                        "signature": rd(os.path.join(d, "signature")), "count": int(rd(os.path.join(d, "count"), "0")),
                        "new_this_run": new, "first_seen": rd(os.path.join(d, "first_seen")),
                        "last_seen": rd(os.path.join(d, "last_seen")), "reproduced": rd(os.path.join(d, "reproduced")),
                        "flaky": os.path.exists(os.path.join(d, "FLAKY")), "min_ops": minops,
                        "slab_bugs": rd(os.path.join(d, "slab_bugs")),
                        "repro": rd(os.path.join(d, "repro")).splitlines()[:1]})

coverage = {}
cpath = os.path.join(out_dir, "coverage", "summary.json")
if os.path.exists(cpath) and os.path.getmtime(cpath) >= run["start"]:
    coverage = json.load(open(cpath))

# --- plots ---
plots = []
if series:
    for key, rows in series.items():
        with open(os.path.join(rep, key + ".dat"), "w") as f:
            # before an engine's first numbers (AFL++ calibrating) there is nothing to plot
            for r in (x for x in rows if x[1] or x[3]):
                f.write("%d %d %d %d %d\n" % (r[0], r[1], r[2], r[3], r[4]))
    specs = [("execs_per_sec", 3, "exec/s"), ("coverage", 4, "coverage (libFuzzer counters / AFL++ edges)"),
             ("corpus", 5, "corpus size (inputs)"), ("total_execs", 2, "executions this run")]
    gp = ["set terminal pngcairo size 900,420 font 'sans,10'" if subprocess.run(
        ["gnuplot", "-e", "set terminal pngcairo"], capture_output=True).returncode == 0 else "set terminal png size 900,420",
          "set termoption noenhanced", "set grid", "set key outside right top", "set yrange [0:*]", "set xlabel 'seconds since start'"]
    for name, col, label in specs:
        png = name + ".png"
        gp += ["set output '%s'" % os.path.join(rep, png), "set ylabel '%s'" % label,
               "set title '%s, run %s'" % (label, run["run"]),
               "plot " + ", ".join("'%s' using 1:%d with linespoints pt 7 ps 0.4 lw 2 title '%s'"
                                   % (os.path.join(rep, k + ".dat"), col, k) for k in series)]
        plots.append((png, label))
    r = subprocess.run(["gnuplot"], input="\n".join(gp) + "\n", text=True, capture_output=True)
    if r.returncode != 0:
        sys.stderr.write("report: gnuplot failed: %s\n" % r.stderr)
        plots = []

summary = {"run": run, "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "engines": engines,
           "crashes": crashes, "coverage": coverage, "plots": [p for p, _ in plots]}
json.dump(summary, open(os.path.join(rep, "summary.json"), "w"), indent=1)

pct = lambda c: "%.1f%%" % (100.0 * c[0] / c[1]) if c and c[1] else "-"
hms = lambda s: "%dh%02dm" % (s // 3600, s % 3600 // 60) if s >= 3600 else "%dm%02ds" % (s // 60, s % 60)
md = ["# Fuzz run %s" % run["run"], "",
      "%s of %s, engines %s, targets %s, %s job(s) in all%s%s%s" % (
          hms(run["elapsed"]), hms(run["fuzz_time"]), run["engines"], run["targets"], run["jobs"],
          ", SLAB_BUGS=" + run["slab_bugs"] if run["slab_bugs"] else "",
          ", from an empty corpus" if run["seeds"] == "none" else "", ", interrupted" if run["interrupted"] else ""),
      "", "This run: %d new input(s) found, %d new bug(s)." % (run["new_inputs"], run["new_bugs"]), ""]
for d in run.get("dead", []):
    md.append("**Engine died:** %s  " % d)
md += ["", "## Engines", "", "| target | engine | execs | exec/s | coverage | corpus | found | AFL++ stability |",
       "|---|---|---:|---:|---:|---:|---:|---:|"]
for e in engines:
    md.append("| %s | %s | %d | %d | %d %s | %d | %d | %s |" % (
        e["target"], e["engine"], e["execs"], e["exec_per_sec"], e["coverage"], e["coverage_unit"], e["corpus"],
        e["found"], "%.2f%%" % e["stability"] if e["stability"] is not None else "-"))
md += ["", "## Crashes, hangs and OOMs (all runs into this directory)", ""]
if crashes:
    md += ["| target | kind | signature | inputs | new | first seen | reproduced | minimised | repro |",
           "|---|---|---|---:|---:|---|---|---:|---|"]
    for c in crashes:
        md.append("| %s | %s | `%s` | %d | %d | %s | %s%s | %s | `%s` |" % (
            c["target"], c["kind"], c["signature"], c["count"], c["new_this_run"], c["first_seen"], c["reproduced"],
            " **FLAKY**" if c["flaky"] else "", "%s ops" % c["min_ops"] if c["min_ops"] is not None else "-",
            c["repro"][0] if c["repro"] else ""))
else:
    md.append("None.")
md += ["", "## Coverage of the corpus (make coverage)", ""]
if coverage:
    md += ["| target | inputs | area | lines | branches | functions |", "|---|---:|---|---:|---:|---:|"]
    for t, c in coverage.items():
        for a in ("allocator/", "model/"):
            if a in c["areas"]:
                x = c["areas"][a]
                md.append("| %s | %d | %s | %s | %s | %s |" % (t, c["inputs"], a, pct(x["lines"]), pct(x["branches"]),
                                                              pct(x["functions"])))
    for t, c in coverage.items():
        md += ["", "%s: allocator functions never reached: %s" % (
            t, ", ".join("`%s`" % f for f in c["unreached_allocator_functions"]) or "none")]
        md.append("HTML: `coverage/html/%s/index.html`" % t)
else:
    md.append("Not measured in this run (REPORT_COVERAGE=0 or SEEDS=none); `make coverage` measures it.")
md += ["", "## Plots", ""] + ["![%s](%s)" % (l, p) for p, l in plots]
open(os.path.join(rep, "summary.md"), "w").write("\n".join(md) + "\n")

# --- index.html: the same content ---
e = html.escape
h = ["<!doctype html><meta charset=utf-8><title>slabtorture fuzz run %s</title>" % e(run["run"]),
     "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
     "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.bad{color:#b00;font-weight:bold}"
     "code{font-size:90%}</style>", "<h1>slabtorture fuzz run %s</h1>" % e(run["run"]), "<p>%s</p>" % e(md[2]),
     "<p>%s</p>" % e(md[4])]
for d in run.get("dead", []):
    h.append("<p class=bad>Engine died: %s</p>" % e(d))
h.append("<h2>Engines</h2><table><tr><th>target<th>engine<th>execs<th>exec/s<th>coverage<th>corpus<th>found<th>AFL++ stability")
for x in engines:
    h.append("<tr><td>%s<td>%s<td>%d<td>%d<td>%d %s<td>%d<td>%d<td>%s" % (
        e(x["target"]), e(x["engine"]), x["execs"], x["exec_per_sec"], x["coverage"], e(x["coverage_unit"]), x["corpus"],
        x["found"], "%.2f%%" % x["stability"] if x["stability"] is not None else "-"))
h.append("</table><h2>Crashes, hangs and OOMs</h2>")
if crashes:
    h.append("<table><tr><th>target<th>kind<th>signature<th>inputs<th>new<th>first seen<th>reproduced<th>minimised<th>repro")
    for c in crashes:
        h.append("<tr><td>%s<td>%s<td><a href='../%s/report.txt'><code>%s</code></a><td>%d<td>%d<td>%s<td>%s%s<td>%s<td><code>%s</code>" % (
            e(c["target"]), e(c["kind"]), e(c["dir"]), e(c["signature"]), c["count"], c["new_this_run"], e(c["first_seen"]),
            e(c["reproduced"]), " <span class=bad>FLAKY</span>" if c["flaky"] else "",
            "<a href='../%s/crash.min.trace'>%s ops</a>" % (e(c["dir"]), c["min_ops"]) if c["min_ops"] is not None else "-",
            e(c["repro"][0]) if c["repro"] else ""))
    h.append("</table>")
else:
    h.append("<p>None.</p>")
h.append("<h2>Coverage of the corpus</h2>")
if coverage:
    h.append("<table><tr><th>target<th>inputs<th>area<th>lines<th>branches<th>functions")
    for t, c in coverage.items():
        for a in ("allocator/", "model/"):
            if a in c["areas"]:
                x = c["areas"][a]
                h.append("<tr><td>%s<td>%d<td>%s<td>%s<td>%s<td>%s" % (e(t), c["inputs"], a, pct(x["lines"]),
                                                                      pct(x["branches"]), pct(x["functions"])))
    h.append("</table>")
    for t, c in coverage.items():
        h.append("<p>%s: <a href='../coverage/html/%s/index.html'>llvm-cov HTML</a>; allocator functions never reached: %s</p>"
                 % (e(t), e(t), e(", ".join(c["unreached_allocator_functions"])) or "none"))
else:
    h.append("<p>Not measured in this run; <code>make coverage</code> measures it.</p>")
h.append("<h2>Over time</h2>")
for p, l in plots:
    h.append("<p><img src='%s' alt='%s'></p>" % (e(p), e(l)))
open(os.path.join(rep, "index.html"), "w").write("\n".join(h) + "\n")
