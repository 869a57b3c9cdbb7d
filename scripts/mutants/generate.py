#!/usr/bin/env python3
"""The mutant pool of `make mutants`: one source change each, by line-level operators.

Reads allocator/*.c and allocator/platform/*.c (not allocator/bugs.c, the seeded-bug
switches, nor allocator/slab_introspect.c, the read-only introspection the model's end-state
checks use: mutating the oracle is not mutating the allocator; nor the harness files of
platform/ listed in EXCLUDE, which emulate no kernel semantics) and numbers every mutant
deterministically:

  delete_call        a bare one-line call statement `foo(...);` becomes `;` (flushes,
                     barriers, stat(), list_add/list_del, lock/unlock, ...)
  swap_stmts         two adjacent one-line simple statements of one block are swapped
  negate_cond        `if (X)` / `while (X)` -> `if (!(X))` (condition on one line)
  drop_cond_operand  `if (A && B)` -> `if (A)` and `if (B)` (same for ||; n operands of
                     one top-level operator: n mutants, each dropping one)
  boundary           in an if/while condition or a for condition: `<`<->`<=`, `>`<->`>=`,
                     and `x + 1` / `x - 1` -> `x`
  return_early       `return;` just after the opening brace of a void function
  break_to_continue  `break;` -> `continue;` in a loop body (not in a switch)

Not mutated: comments, string contents, preprocessor lines, code outside function bodies,
assertions and checks that correct code never trips (BUG_ON, WARN_ON, lockdep_assert_*),
sched_point() (where the test schedulers may switch, not allocator behaviour), printing
and what only a report prints (the KASAN object histories: NEVER_MUTATE_FUNC), swaps of two
independent plain stores (the compiler may reorder those itself: independent_stores()),
and declaration macros (LIST_HEAD, DEFINE_*). Every mutant keeps the file's line count, so
__LINE__ and the debug line table of the rest of the file do not move.

A mutant's id is `<file under allocator/>:<line>:<operator>:<k>` (k numbers the mutants of
one operator on one line), e.g. `slub.c:1234:delete_call:0`; ids are stable as long as the
source is. Families (alloc paths, free paths, ...) come from scripts/mutants/families.txt (next to
this script, whatever --src is).

  generate.py --list [--sample N|all --seed S] [--filter REGEX]   TSV: id file line function family operator
  generate.py --ids  [--sample N|all --seed S] [--filter REGEX]   the ids only
  generate.py --stats                                              counts per operator, family, file
  generate.py --apply ID --src DIR                                 rewrite DIR/<file> (a copy of the tree)
  generate.py --patch ID                                           a unified diff of the mutant
  generate.py --show ID                                            the mutant's fields, one per line
  generate.py --resolve FILE                                       the ids of an ids file, relocated

An ids file (--resolve; scripts/mutants/short.txt, IDS= of mutants.sh) has one mutant a
line: `ID [FUNCTION [ORIGINAL LINE]]`, the original source line stripped; `#` at the start
of a line is a comment. With the function (and line) given, an id whose line moved (an edit
above it) is relocated to the mutant of the same file, operator, k and function (whose
original line is that text), the nearest one to the old line number.

--src DIR is the tree read (default: this checkout); --apply rewrites it, so DIR must be a
copy. --sample shuffles the (filtered) pool with random.Random(SEED) and keeps the first N,
so a larger N extends a smaller one. Exit status: 0, 1 an unknown id or a source line that
does not match the pool (the tree changed), 2 bad usage.
"""
import argparse
import difflib
import glob
import os
import random
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCE_GLOBS = ["allocator/*.c", "allocator/platform/*.c"]
EXCLUDE = {
    "allocator/bugs.c": "the seeded-bug switches (off in the fuzz build)",
    "allocator/slab_introspect.c": "the oracle's read side (model end-state checks, validate)",
    # The harness inside platform/: it emulates no kernel semantics, it runs and observes
    # the machine. A mutant there changes how a bug is reported or injected, not a bug.
    "allocator/platform/report.c": "the reporter (what a failure prints and records)",
    "allocator/platform/fault.c": "fault injection (the test's choice of failing calls)",
    "allocator/platform/sched_point.c": "the scheduler hooks (where the test switches tasks)",
    "allocator/platform/mem.c": "host-heap tracking of allocator metadata (reset between inputs)",
    "allocator/platform/platform.c": "machine configuration and reset between inputs",
}
OPERATORS = ["delete_call", "swap_stmts", "negate_cond", "drop_cond_operand", "boundary",
             "return_early", "break_to_continue"]

# Calls never deleted or swapped: checks that correct code never trips (deleting one is an
# equivalent mutant), the test schedulers' switch points, printing, declaration macros.
NEVER_MUTATE_CALL = re.compile(
    r"^(BUG_ON|BUG|WARN_ON|WARN_ON_ONCE|WARN|WARN_ONCE|VM_BUG_ON|VM_WARN_ON|VM_WARN_ON_ONCE|"
    r"BUILD_BUG_ON|static_assert|_Static_assert|assert|lockdep_assert\w*|might_sleep|"
    r"sched_point|printf|fprintf|snprintf|vfprintf|puts|fputs|fflush|pr_\w+|kasan_history\w*|"
    r"va_start|va_end|va_copy|LIST_HEAD|DEFINE_\w+|DECLARE_\w+)$")
# Functions never mutated: what a report prints, the KASAN object histories included
# (recorded for the report's "history of" lines, read by nothing else), like printing.
NEVER_MUTATE_FUNC = re.compile(
    r"^(__kasan_history_record\w*|history_\w+|kasan_history_\w+|kasan_report_\w+|"
    r"kasan_event_name|kasan_state_name|report_event)$")
CONTROL_WORDS = {"if", "while", "for", "switch", "return", "sizeof", "do", "else", "case",
                 "goto", "break", "continue", "default", "_Alignof", "alignof", "typeof",
                 "__typeof__", "_Generic"}
TYPE_WORDS = {"static", "const", "volatile", "unsigned", "signed", "int", "long", "short",
              "char", "bool", "_Bool", "void", "float", "double", "struct", "enum", "union",
              "register", "extern", "__thread", "_Thread_local", "typedef", "size_t",
              "ssize_t", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "uintptr_t",
              "intptr_t", "atomic_t", "atomic_long_t"}
FUNC_QUALIFIERS = {"static", "inline", "__inline", "__always_inline", "noinline",
                   "__no_kasan", "extern", "__noreturn", "_Noreturn", "__maybe_unused"}
LOOP_MACRO = re.compile(r"^\w*for_each\w*$")


def die(msg, status=2):
    print("generate.py: " + msg, file=sys.stderr)
    sys.exit(status)


# ---------------------------------------------------------------------------------------
# Lexing: each line's code with comments blanked and string/char contents blanked, so
# positions in the code line are positions in the source line.

def blank_code(text):
    out = []
    i, n = 0, len(text)
    state = "code"
    while i < n:
        c = text[i]
        if state == "code":
            if c == "/" and i + 1 < n and text[i + 1] in "/*":
                state = "line_comment" if text[i + 1] == "/" else "block_comment"
                out.append("  ")
                i += 2
                continue
            if c == '"':
                state = "string"
            elif c == "'":
                state = "char"
            out.append(c)
        elif state == "line_comment":
            if c == "\n":
                state = "code"
                out.append(c)
            else:
                out.append(" ")
        elif state == "block_comment":
            if c == "*" and i + 1 < n and text[i + 1] == "/":
                state = "code"
                out.append("  ")
                i += 2
                continue
            out.append("\n" if c == "\n" else " ")
        else:  # string or char literal
            quote = '"' if state == "string" else "'"
            if c == "\\" and i + 1 < n:
                out.append(" \n" if text[i + 1] == "\n" else "  ")
                i += 2
                continue
            if c == quote:
                state = "code"
                out.append(c)
            elif c == "\n":  # unterminated: give up on the literal
                state = "code"
                out.append(c)
            else:
                out.append(" ")
        i += 1
    return "".join(out)


def match_paren(code, open_pos):
    """Index of the parenthesis closing code[open_pos] == '(' on the same line, or -1."""
    depth = 0
    for j in range(open_pos, len(code)):
        if code[j] == "(":
            depth += 1
        elif code[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return -1


def parse_headers(text):
    """Leading control headers of a statement: (kinds, rest). kinds: 'loop', 'switch', 'if'."""
    kinds = []
    s = text
    while True:
        s = s.lstrip()
        m = re.match(r"(else|do)\b", s)
        if m:
            kinds.append("if" if m.group(1) == "else" else "loop")
            s = s[m.end():]
            continue
        m = re.match(r"(if|for|while|switch|\w*for_each\w*)\s*\(", s)
        if m:
            close = match_paren(s, m.end() - 1)
            if close < 0:
                return kinds, s  # header continues on the next line
            word = m.group(1)
            kinds.append("if" if word == "if" else "switch" if word == "switch" else "loop")
            s = s[close + 1:]
            continue
        return kinds, s


def is_declaration(stmt):
    s = stmt.strip()
    m = re.match(r"[A-Za-z_]\w*", s)
    if not m:
        return False
    w = m.group(0)
    if w in CONTROL_WORDS:
        return False
    if w in TYPE_WORDS or w.endswith("_t"):
        return True
    if re.match(r"(LIST_HEAD|DEFINE_\w+|DECLARE_\w+)\s*\(", s):
        return True
    return bool(re.match(r"[A-Za-z_]\w*(\s+\**\s*|\s*\*+\s*)[A-Za-z_]\w*\s*(=|;|\[|,|\))", s))


def bare_call_name(stmt):
    """The callee of a bare call statement `f(...);` / `p->f(...);`, else None."""
    s = stmt.strip()
    m = re.match(r"([A-Za-z_]\w*)((\s*(->|\.)\s*[A-Za-z_]\w*)*)\s*\(", s)
    if not m or not s.endswith(";"):
        return None
    close = match_paren(s, m.end() - 1)
    if close < 0 or s[close + 1:].strip() != ";":
        return None
    name = m.group(1)
    if name in CONTROL_WORDS:
        return None
    last = re.findall(r"[A-Za-z_]\w*", m.group(0))[-1]
    return last


# ---------------------------------------------------------------------------------------
# The scan: function bodies, blocks, statement starts.

class Line:
    __slots__ = ("no", "text", "code", "pp", "func", "void_func", "depth", "clean_start",
                 "headers_only", "complete", "one_stmt", "stack", "indent", "brace_open_func",
                 "breaks")

    def __init__(self, no, text, code):
        self.no, self.text, self.code = no, text, code
        self.pp = False
        self.func = None
        self.void_func = False
        self.depth = 0
        self.clean_start = False   # starts a statement (nothing pending, parens balanced)
        self.headers_only = False  # pending is only unbraced control headers (a body)
        self.one_stmt = False      # ends the statement it starts or the header it follows
        self.complete = False      # one whole statement, one line, no braces
        self.stack = ()
        self.indent = ""
        self.brace_open_func = False  # the `{` line opening a function body
        self.breaks = []           # columns of `break` that are in a loop, not a switch


def function_signature(pending):
    s = re.sub(r"__attribute__\s*\(\(.*?\)\)", " ", pending)
    m = re.search(r"([A-Za-z_]\w*)\s*\(", s)
    if not m or "=" in s[:m.start()]:
        return None, False
    name = m.group(1)
    ret = [w for w in re.findall(r"[A-Za-z_]\w*|\*", s[:m.start()]) if w not in FUNC_QUALIFIERS]
    return name, ret == ["void"]


def scan(text):
    code_text = blank_code(text)
    lines = text.split("\n")
    codes = code_text.split("\n")
    assert len(lines) == len(codes)
    out = []
    depth = 0
    paren = 0
    pending = ""
    stack = []          # per open brace: list of kinds ('function', 'loop', 'switch', 'if', 'block')
    func = None
    void_func = False
    in_pp = False
    for idx, (t, c) in enumerate(zip(lines, codes)):
        ln = Line(idx + 1, t, c)
        out.append(ln)
        stripped = c.strip()
        if in_pp or stripped.startswith("#"):
            ln.pp = True
            in_pp = t.rstrip().endswith("\\")
            continue
        ln.func = func if depth > 0 else None
        ln.void_func = void_func if depth > 0 else False
        ln.depth = depth
        ln.stack = tuple(tuple(k) for k in stack)
        ln.indent = t[:len(t) - len(t.lstrip())]
        kinds, rest = parse_headers(pending)
        ln.clean_start = paren == 0 and pending.strip() == ""
        ln.headers_only = paren == 0 and bool(kinds) and rest.strip() == ""
        if depth == 0 and stripped == "{":
            name, is_void = function_signature(pending)
            if name:
                ln.brace_open_func = True
                ln.func = name
                ln.void_func = is_void
        i = 0
        while i < len(c):
            ch = c[i]
            if ch.isalpha() or ch == "_":
                j = i
                while j < len(c) and (c[j].isalnum() or c[j] == "_"):
                    j += 1
                word = c[i:j]
                if word == "break" and depth > 0:
                    hk, hrest = parse_headers(pending)
                    if hrest.strip() == "" and paren == 0:
                        chain = [k for frame in stack for k in frame] + hk
                        for k in reversed(chain):
                            if k in ("loop", "switch", "function"):
                                if k == "loop":
                                    ln.breaks.append(i)
                                break
                pending += word
                i = j
                continue
            if ch == "(":
                paren += 1
            elif ch == ")":
                paren -= 1
            elif ch == "{":
                if depth == 0:
                    name, is_void = function_signature(pending)
                    if name:
                        func, void_func = name, is_void
                        stack.append(["function"])
                    else:
                        stack.append(["data"])
                else:
                    hk, hrest = parse_headers(pending)
                    frame = hk if hk and hrest.strip() == "" else []
                    if not frame:
                        frame = ["data"] if "=" in pending else ["block"]
                    stack.append(frame)
                depth += 1
                pending = ""
                paren = 0
                i += 1
                continue
            elif ch == "}":
                depth -= 1
                if stack:
                    stack.pop()
                if depth <= 0:
                    depth = 0
                    func, void_func = None, False
                pending = ""
                paren = 0
                i += 1
                continue
            elif ch == ";" and paren == 0:
                pending = ""
                i += 1
                continue
            pending += ch
            i += 1
        pending += " "
        # A label (`out:`, `case X:`, `default:`) ends a "statement" too.
        if re.match(r"^(case\b.*|default|[A-Za-z_]\w*)\s*:$", stripped) and paren == 0:
            pending = ""
        in_block = bool(stack) and stack[-1][0] != "data"
        ln.one_stmt = ((ln.clean_start or ln.headers_only) and in_block and depth > 0
                       and ln.func is not None and stripped.endswith(";")
                       and "{" not in stripped and "}" not in stripped and paren == 0
                       and pending.strip() == "" and top_level_semicolons(stripped) == 1)
        ln.complete = ln.one_stmt and ln.clean_start
        if ln.brace_open_func:
            ln.complete = ln.one_stmt = False
    return out


def top_level_semicolons(code):
    depth = n = 0
    for ch in code:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == ";" and depth == 0:
            n += 1
    return n


# ---------------------------------------------------------------------------------------
# Operators. Each returns mutants as (operator, {lineno: new_text}).

def conditions(code):
    """(keyword, open, close) of every if/while condition that closes on this line."""
    res = []
    for m in re.finditer(r"\b(if|while)\s*\(", code):
        close = match_paren(code, m.end() - 1)
        if close > 0:
            res.append((m.group(1), m.end() - 1, close))
    return res


def for_condition(code):
    """(start, end) of the condition clause of a `for (init; cond; step)` on this line."""
    res = []
    for m in re.finditer(r"\bfor\s*\(", code):
        close = match_paren(code, m.end() - 1)
        if close < 0:
            continue
        depth, semis = 0, []
        for j in range(m.end(), close):
            if code[j] == "(":
                depth += 1
            elif code[j] == ")":
                depth -= 1
            elif code[j] == ";" and depth == 0:
                semis.append(j)
        if len(semis) == 2 and code[semis[0] + 1:semis[1]].strip():
            res.append((semis[0] + 1, semis[1]))
    return res


def split_top(code, start, end):
    """Operands of a top-level && / || chain in code[start:end]: (op, [(s, e), ...]) or None."""
    depth = 0
    ops, cuts = set(), []
    j = start
    while j < end:
        ch = code[j]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch in "?":
            if depth == 0:
                return None  # a ternary at the top: precedence games, skip
        elif depth == 0 and code[j:j + 2] in ("&&", "||"):
            ops.add(code[j:j + 2])
            cuts.append(j)
            j += 2
            continue
        j += 1
    if len(ops) != 1:
        return None
    spans, s = [], start
    for cut in cuts:
        spans.append((s, cut))
        s = cut + 2
    spans.append((s, end))
    return ops.pop(), spans


def unwrap_likely(code, start, end):
    inner = code[start:end]
    m = re.match(r"\s*(un)?likely\s*\(", inner)
    if m:
        op = start + m.end() - 1
        close = match_paren(code, op)
        if close > 0 and code[close + 1:end].strip() == "":
            return op + 1, close
    return start, end


def mut_delete_call(ln):
    if not ln.one_stmt or ln.func is None:
        return []
    stripped = ln.code.strip()
    name = bare_call_name(stripped)
    if not name or NEVER_MUTATE_CALL.match(name):
        return []
    return [{ln.no: ln.indent + ";"}]


def simple_stmt(ln):
    if not ln.complete or ln.func is None:
        return False
    s = ln.code.strip()
    if is_declaration(s) or re.search(r"\b(return|break|continue|goto)\b", s):
        return False
    name = bare_call_name(s)
    if name and NEVER_MUTATE_CALL.match(name):
        return False
    return True


PLAIN_STORE = re.compile(r"^(\w+(?:(?:->|\.)\w+)*)\s*(?:[-+*/|&^]?=(?!=)\s*(.*)|(\+\+|--))\s*;$")


def independent_stores(a, b):
    """Two plain stores (`x = e;`, `x->f |= e;`, `x++;`, no call, no dereference or index
    on the left) of which neither reads or writes what the other writes: a swap of them is
    an equivalent mutant, since the compiler may reorder them itself. Fields of pointers
    alias when the field name is the same (`x->f`, `y->f`), so those stay dependent."""
    ma, mb = PLAIN_STORE.match(a.code.strip()), PLAIN_STORE.match(b.code.strip())
    if not ma or not mb or "(" in a.code or "(" in b.code:
        return False
    la, lb = ma.group(1), mb.group(1)
    last = lambda lhs: re.split(r"->|\.", lhs)[-1]
    for lhs, other in ((la, b.code), (lb, a.code)):
        if re.search(r"\b%s\b" % re.escape(last(lhs)), other):
            return False
    return True


def mut_negate_cond(ln):
    res = []
    for _, op, close in conditions(ln.code):
        t = ln.text
        res.append({ln.no: t[:op + 1] + "!(" + t[op + 1:close] + ")" + t[close:]})
    return res


def mut_drop_operand(ln):
    res = []
    for kw, op, close in conditions(ln.code):
        if kw != "if":
            continue
        s, e = unwrap_likely(ln.code, op + 1, close)
        sp = split_top(ln.code, s, e)
        if not sp:
            continue
        _, spans = sp
        t, c = ln.text, ln.code
        trimmed = []
        for a, b in spans:
            while a < b and c[a].isspace():
                a += 1
            while b > a and c[b - 1].isspace():
                b -= 1
            trimmed.append((a, b))
        for k in range(len(trimmed)):
            if k < len(trimmed) - 1:
                cut_s, cut_e = trimmed[k][0], trimmed[k + 1][0]
            else:
                cut_s, cut_e = trimmed[k - 1][1], trimmed[k][1]
            res.append({ln.no: t[:cut_s] + t[cut_e:]})
    return res


def mut_boundary(ln):
    spans = [(op + 1, close) for _, op, close in conditions(ln.code)] + for_condition(ln.code)
    res = []
    c, t = ln.code, ln.text
    for s, e in spans:
        j = s
        while j < e:
            ch = c[j]
            if ch in "<>":
                prev = c[j - 1] if j > 0 else ""
                nxt = c[j + 1] if j + 1 < len(c) else ""
                if ch == ">" and prev == "-":
                    j += 1
                    continue
                if nxt == ch or prev == ch:  # << >> (and <<= >>=)
                    j += 2 if nxt == ch else 1
                    continue
                if nxt == "=":
                    res.append({ln.no: t[:j] + ch + t[j + 2:]})
                    j += 2
                    continue
                res.append({ln.no: t[:j] + ch + "=" + t[j + 1:]})
            j += 1
        for m in re.finditer(r"(?<=[\w\)\]])\s*[-+]\s*1[uUlL]*\b(?!\.)", c[s:e]):
            a, b = s + m.start(), s + m.end()
            after = c[b:].lstrip()[:1]
            if after and after in "*/%.":
                continue
            res.append({ln.no: t[:a] + t[b:]})
    return res


def mut_return_early(ln):
    if ln.brace_open_func and ln.void_func and ln.code.strip() == "{":
        return [{ln.no: ln.text.replace("{", "{ return;", 1)}]
    return []


def mut_break(ln):
    res = []
    for col in ln.breaks:
        t = ln.text
        res.append({ln.no: t[:col] + "continue" + t[col + len("break"):]})
    return res


# ---------------------------------------------------------------------------------------

def families_table(path):
    rules = []
    if not os.path.exists(path):
        return rules
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                die("%s:%d: want `regex family`, got %r" % (path, n, line), 1)
            try:
                rules.append((re.compile(parts[0]), parts[1]))
            except re.error as e:
                die("%s:%d: bad regex: %s" % (path, n, e), 1)
    return rules


def family_of(rules, short, func):
    key = "%s:%s" % (short, func or "")
    for rx, fam in rules:
        if rx.search(key):
            return fam
    return "other"


def source_files(src):
    files = []
    for g in SOURCE_GLOBS:
        for p in sorted(glob.glob(os.path.join(src, g))):
            rel = os.path.relpath(p, src)
            if rel not in EXCLUDE:
                files.append(rel)
    return files


def pool(src):
    rules = families_table(os.path.join(HERE, "families.txt"))
    muts = []
    for rel in source_files(src):
        with open(os.path.join(src, rel), encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        short = rel[len("allocator/"):]
        lines = scan(text)
        by_no = {ln.no: ln for ln in lines}

        def add(ln, op, changes):
            k = sum(1 for m in muts if m["file"] == rel and m["line"] == ln.no and m["operator"] == op)
            orig = {no: by_no[no].text for no in changes}
            if all(orig[no] == changes[no] for no in changes):
                return
            muts.append({"id": "%s:%d:%s:%d" % (short, ln.no, op, k), "file": rel,
                         "line": ln.no, "function": ln.func, "operator": op,
                         "family": family_of(rules, short, ln.func),
                         "orig": orig, "new": changes})

        for ln in lines:
            if ln.pp or ln.func is None or NEVER_MUTATE_FUNC.match(ln.func):
                continue
            if ln.brace_open_func:
                for ch in mut_return_early(ln):
                    add(ln, "return_early", ch)
                continue
            for ch in mut_delete_call(ln):
                add(ln, "delete_call", ch)
            nxt = by_no.get(ln.no + 1)
            if (nxt and not nxt.pp and simple_stmt(ln) and simple_stmt(nxt)
                    and ln.indent == nxt.indent and ln.depth == nxt.depth
                    and ln.stack == nxt.stack and ln.func == nxt.func
                    and ln.code.strip() != nxt.code.strip()
                    and not independent_stores(ln, nxt)):
                add(ln, "swap_stmts", {ln.no: nxt.text, nxt.no: ln.text})
            for ch in mut_negate_cond(ln):
                add(ln, "negate_cond", ch)
            for ch in mut_drop_operand(ln):
                add(ln, "drop_cond_operand", ch)
            for ch in mut_boundary(ln):
                add(ln, "boundary", ch)
            for ch in mut_break(ln):
                add(ln, "break_to_continue", ch)
    return muts


def select(muts, args):
    if args.filter:
        try:
            rx = re.compile(args.filter)
        except re.error as e:
            die("--filter %r: %s" % (args.filter, e))
        muts = [m for m in muts if rx.search(m["function"] or "")]
    if args.sample is not None:
        order = list(muts)
        random.Random(args.seed).shuffle(order)
        if args.sample != "all":
            order = order[:int(args.sample)]
        muts = order
    return muts


def find(muts, mid):
    for m in muts:
        if m["id"] == mid:
            return m
    die("no mutant %s in the pool of %s" % (mid, "this tree"), 1)


def first_orig(m):
    return m["orig"][min(m["orig"])].strip()


def resolve(muts, path):
    try:
        with open(path) as f:
            entries = [l.rstrip("\n") for l in f]
    except OSError as e:
        die("--resolve %s: %s" % (path, e.strerror))
    by_id = {m["id"]: m for m in muts}
    bad = 0
    for n, raw in enumerate(entries, 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.strip().split(None, 2)
        mid = parts[0]
        func = parts[1] if len(parts) > 1 else ""
        text = parts[2].strip() if len(parts) > 2 else ""
        m = by_id.get(mid)
        if m and (not func or m["function"] == func) and (not text or first_orig(m) == text):
            print(mid)
            continue
        f = re.fullmatch(r"(.+):(\d+):(\w+):(\d+)", mid)
        cands = []
        if f and func:
            short, line, op, k = f.group(1), int(f.group(2)), f.group(3), f.group(4)
            cands = [x for x in muts if x["id"].startswith(short + ":") and x["operator"] == op
                     and x["id"].endswith(":" + k) and x["function"] == func
                     and (not text or first_orig(x) == text)]
        if cands:
            best = min(cands, key=lambda x: abs(x["line"] - line))
            print("generate.py: %s:%d: %s is now %s" % (path, n, mid, best["id"]), file=sys.stderr)
            print(best["id"])
            continue
        why = "no such mutant" if not m else "it is now `%s` in %s()" % (first_orig(m), m["function"])
        print("generate.py: %s:%d: %s: %s%s" % (path, n, mid, why,
              ", and no mutant of that line elsewhere in that function" if func else ""), file=sys.stderr)
        bad += 1
    return 1 if bad else 0


def mutated_text(src, m):
    path = os.path.join(src, m["file"])
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    for no, old in m["orig"].items():
        if lines[no - 1] != old:
            die("%s:%d does not hold the line mutant %s was made from (the tree changed?)"
                % (m["file"], no, m["id"]), 1)
    new_lines = list(lines)
    for no, new in m["new"].items():
        new_lines[no - 1] = new
    return text, "\n".join(new_lines)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(
        description="The mutant pool of `make mutants` (see the top of this file).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--list", action="store_true", help="TSV: id file line function family operator")
    g.add_argument("--ids", action="store_true", help="the ids only")
    g.add_argument("--stats", action="store_true", help="counts per operator, family and file")
    g.add_argument("--apply", metavar="ID", help="rewrite the mutant's file under --src")
    g.add_argument("--patch", metavar="ID", help="print the mutant as a unified diff")
    g.add_argument("--show", metavar="ID", help="print the mutant's fields")
    g.add_argument("--resolve", metavar="FILE", help="print the ids of an ids file, relocated to this tree")
    ap.add_argument("--src", default=ROOT, help="the tree to read (and for --apply, rewrite); default: this checkout")
    ap.add_argument("--sample", metavar="N|all", help="a deterministic sample of N mutants (all: the whole pool, shuffled)")
    ap.add_argument("--seed", type=int, default=1, help="the sample's random.Random seed (default 1)")
    ap.add_argument("--filter", metavar="REGEX", help="only mutants in functions matching REGEX (re.search)")
    args = ap.parse_args()
    if args.sample is not None and args.sample != "all" and not re.fullmatch(r"[1-9][0-9]*", args.sample):
        die("--sample takes a positive number or `all`, not %r" % args.sample)
    if not os.path.isdir(os.path.join(args.src, "allocator")):
        die("--src %s: no allocator/ there" % args.src)
    muts = pool(args.src)
    if args.list or args.ids:
        out = sys.stdout
        for m in select(muts, args):
            if args.ids:
                out.write(m["id"] + "\n")
            else:
                out.write("\t".join([m["id"], m["file"], str(m["line"]), m["function"] or "-",
                                     m["family"], m["operator"]]) + "\n")
        return 0
    if args.stats:
        sel = select(muts, args)
        print("mutants\t%d" % len(sel))
        for key in ("operator", "family", "file"):
            counts = {}
            for m in sel:
                counts[m[key]] = counts.get(m[key], 0) + 1
            for k in sorted(counts, key=lambda k: (-counts[k], k)):
                print("%s\t%s\t%d" % (key, k, counts[k]))
        return 0
    if args.resolve:
        return resolve(muts, args.resolve)
    mid = args.apply or args.patch or args.show
    m = find(muts, mid)
    if args.show:
        print("id\t%s\nfile\t%s\nline\t%d\nfunction\t%s\nfamily\t%s\noperator\t%s" %
              (m["id"], m["file"], m["line"], m["function"], m["family"], m["operator"]))
        for no in sorted(m["orig"]):
            print("original:%d\t%s" % (no, m["orig"][no]))
        for no in sorted(m["new"]):
            print("mutated:%d\t%s" % (no, m["new"][no]))
        return 0
    old, new = mutated_text(args.src, m)
    if args.patch:
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), "a/" + m["file"], "b/" + m["file"]))
        return 0
    path = os.path.join(args.src, m["file"])
    if os.path.realpath(args.src) == os.path.realpath(ROOT) and "--src" not in sys.argv:
        die("--apply rewrites the tree: give --src DIR, a copy of it")
    tmp = path + ".mutant-tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write(new)
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
