#!/usr/bin/python3
"""Every Python module the tests and scripts import, and every command their shell scripts run, must come
from a Debian package that scripts/install-deps.sh installs. A test that works only because the developer's
machine happens to have a package (python3-yaml once) breaks on a fresh Debian 12 machine.

  scripts/check-deps.py [-v]

Scans tests/, scripts/ and .ci/: the imports of every *.py (ast) and of the Python inside shell scripts
(heredocs fed to python, `python3 -c '...'`), and the command words of every shell script (the first word
of each simple command, also behind timeout, ip netns exec, env, check DESC ... and the lab's other
wrappers). Modules of the standard library (sys.stdlib_module_names) and of the repository are skipped;
the rest are located with /usr/bin/python3, commands in /usr/sbin:/usr/bin:/sbin:/bin, and `dpkg -S`
says which package each file belongs to. That package must be listed in scripts/debian-packages.txt,
be pulled in by a listed one (Depends/Pre-Depends, recursively; install-deps.sh installs no
recommends), or be of Priority required (present on every Debian system, even a debootstrap minbase).
A shell word in command position that is neither a command nor a function, builtin or keyword is a
problem too: the scan cannot vouch for it.

Prints one line per problem and a summary; exit status 1 when there is a problem. Runs under
/usr/bin/python3 (the interpreter the lab uses; a pyenv python3 first on PATH has other modules).
"""
import ast
import os
import re
import subprocess
import sys

SYSTEM_PY = "/usr/bin/python3"
if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PY):
    os.execv(SYSTEM_PY, [SYSTEM_PY] + sys.argv)

import importlib.util  # noqa: E402  (after the re-exec: the system interpreter's view)

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
SCAN_DIRS = ["tests", "scripts", ".ci"]
PACKAGE_LIST = os.path.join(ROOT, "scripts", "debian-packages.txt")
SEARCH_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
VERBOSE = "-v" in sys.argv[1:]

# Wrappers whose arguments contain the command that actually runs: name -> arguments to skip before it.
# (lab-lib.sh / tests/lab/lib.sh / scripts/pmtud-lab.sh helpers, and ordinary ones.)
WRAPPERS = {
    "in_h1": 0, "in_h2": 0, "in_r": 0, "in_ns": 1, "lab_wait_for": 1, "check": 1, "check_not": 1,
    "capture_during": 4, "run": 0, "expect": 1, "spawn": 1, "show": 0,
    "exec": 0, "nohup": 0, "sudo": 0, "builtin": 0,
}
# Commands a script uses only when they are there, with what it does without them. They need not be listed.
OPTIONAL = {
    "perf": "scripts/bench.sh: BENCH_PERF profiles, skipped when perf is missing (Debian package linux-perf)",
    "git": "scripts/bench.sh: the commit in the report header, '?' without git",
}


def sh_builtins():
    """bash's builtins and keywords: never commands to look for."""
    out = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True).stdout
    return set(out.split())


def files(ext_ok):
    for d in SCAN_DIRS:
        for base, _, names in os.walk(os.path.join(ROOT, d)):
            for n in sorted(names):
                p = os.path.join(base, n)
                if ext_ok(p):
                    yield p


def is_shell(p):
    if p.endswith(".sh"):
        return True
    try:
        with open(p, "rb") as f:
            first = f.readline()
    except OSError:
        return False
    return first.startswith(b"#!") and (b"bash" in first or first.startswith(b"#!/bin/sh"))


def rel(p):
    return os.path.relpath(p, ROOT)


# ---------------------------------------------------------------------------------------------- python


def py_imports(source):
    """Top-level module names imported by Python SOURCE (absolute imports only)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


INLINE_IMPORT = re.compile(r"(?m)(?:^\s*|[;'\"]\s*)(?:import\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)"
                           r"|from\s+([A-Za-z_][\w.]*)\s+import\b)")


def inline_imports(line):
    for m in INLINE_IMPORT.finditer(line):
        names = m.group(1).split(",") if m.group(1) else [m.group(2)]
        for n in names:
            yield n.strip().split(".")[0]


# ---------------------------------------------------------------------------------------------- shell

HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][\w]*)\2")


def split_heredocs(text):
    """Shell TEXT without heredoc bodies, and the bodies fed to a Python interpreter (with line numbers)."""
    lines = text.split("\n")
    keep, py_bodies = [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        keep.append((i + 1, line))
        m = HEREDOC.search(line) if not line.lstrip().startswith("#") else None
        i += 1
        if m:
            end, strip = m.group(3), m.group(1) == "-"
            body_start, body = i + 1, []
            while i < len(lines) and (lines[i].lstrip("\t") if strip else lines[i]) != end:
                body.append(lines[i])
                i += 1
            i += 1
            if re.search(r"python|LAB_PY", line[:m.start()]):
                py_bodies.append((body_start, "\n".join(body)))
    return keep, py_bodies


def open_quote(s, q=None):
    """The quote still open at the end of S (None, "'" or '"'), starting inside Q."""
    i = 0
    while i < len(s):
        c = s[i]
        if q == "'":
            q = None if c == "'" else q
        elif c == "\\":
            i += 1
        elif q == '"':
            q = None if c == '"' else q
        elif c in "'\"":
            q = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t;"):
            break
        i += 1
    return q


ARRAY_OPEN = re.compile(r"[\w\]]\+?=\(")
ARRAY_OPEN_CLOSED = re.compile(r"[\w\]]\+?=\([^)]*\)")


def logical_lines(numbered):
    """Join backslash continuations and quoted strings that span lines (awk, perl, python -c programs);
    keep the first line number."""
    out, buf, start, q = [], "", None, None
    for n, line in numbered:
        if start is None:
            start = n
        if q is None and line.endswith("\\") and not line.endswith("\\\\"):
            buf += line[:-1] + " "
            continue
        q = open_quote(line, q)
        if q is not None or ARRAY_OPEN.search(buf + line) and not ARRAY_OPEN_CLOSED.search(buf + line):
            buf += line + "\n"
            continue
        out.append((start, buf + line))
        buf, start = "", None
    if buf:
        out.append((start, buf))
    return out


def tokenize(s):
    """Split a shell line into words and operators. Command substitutions come back as ('SUB', text);
    quoted text is kept with its quotes (a quoted word is never a plain command name)."""
    toks, i, n = [], 0, len(s)
    word = ""

    def flush():
        nonlocal word
        if word:
            toks.append(word)
            word = ""

    def matching(j, open_c, close_c):  # index of the bracket closing the one at j (quotes respected)
        depth, k, q = 0, j, None
        while k < n:
            c = s[k]
            if q:
                if c == "\\" and q == '"':
                    k += 1
                elif c == q:
                    q = None
            elif c in "'\"":
                q = c
            elif c == "\\":
                k += 1
            elif c == open_c:
                depth += 1
            elif c == close_c:
                depth -= 1
                if depth == 0:
                    return k
            k += 1
        return n

    while i < n:
        c = s[i]
        if c == "#" and not word:
            break
        if c == "\\":
            word += s[i:i + 2]
            i += 2
            continue
        if s.startswith("${", i):
            j = matching(i + 1, "{", "}")
            word += "$"
            i = j + 1
            continue
        m = re.compile(r"\{[A-Za-z_]\w*\}(?=[<>])").match(s, i)
        if m and not word:  # {FD}>&- : a redirection to a named descriptor
            i = m.end()
            continue
        if s.startswith("$((", i):
            j = matching(i + 1, "(", ")")
            word += "$"
            i = j + 1
            continue
        if s.startswith("$(", i) or s.startswith("<(", i) or s.startswith(">(", i):
            j = matching(i + 1, "(", ")")
            toks.append(("SUB", s[i + 2:j]))
            word += "$"
            i = j + 1
            continue
        if c == "`":
            j = s.find("`", i + 1)
            j = n if j < 0 else j
            toks.append(("SUB", s[i + 1:j]))
            word += "$"
            i = j + 1
            continue
        if c in "'\"":
            j = i + 1
            while j < n and s[j] != c:
                if c == '"' and s[j] == "\\":
                    j += 1
                elif c == '"' and s.startswith("$(", j) and not s.startswith("$((", j):
                    k = matching(j + 1, "(", ")")
                    toks.append(("SUB", s[j + 2:k]))
                    j = k
                j += 1
            word += s[i:j + 1]
            i = j + 1
            continue
        if c == "(" and word.endswith("="):  # array assignment a=(...)
            j = matching(i, "(", ")")
            word += "()"
            i = j + 1
            continue
        if c in " \t":
            flush()
            i += 1
            continue
        if c == "\n":
            flush()
            toks.append(";")
            i += 1
            continue
        if s.startswith("((", i) and not word:
            j = matching(i, "(", ")")
            toks.append("((...))")
            i = j + 1
            continue
        for op in ("&&", "||", ";;", "|&", ">>", "<<", "&>", ">&", "<&"):
            if s.startswith(op, i):
                break
        else:
            op = None
        if op in ("&&", "||", ";;", "|&"):
            flush()
            toks.append(op)
            i += 2
            continue
        if op in (">>", "&>", ">&", "<&", "<<"):
            if word.isdigit():
                word = ""  # the descriptor of "2>&1": part of the redirection, not a word
            flush()
            toks.append("REDIR")
            i += 2
            continue
        if c in "|;&(){}":
            flush()
            toks.append(c)
            i += 1
            continue
        if c in "<>":
            if word.isdigit():
                word = ""  # the descriptor of "2>file"
            flush()
            toks.append("REDIR")
            i += 1
            continue
        word += c
        i += 1
    flush()
    return toks


SEPARATORS = {"&&", "||", ";;", "|&", "|", ";", "&", "(", ")", "{", "}"}
RESUME_AFTER = {"then", "do", "else", "elif", "if", "while", "until", "!", "time"}
NOT_A_COMMAND_AFTER = {"for", "select", "case", "function", "fi", "done", "esac", "in"}
ASSIGN = re.compile(r"^[A-Za-z_][\w]*(\[[^]]*\])?\+?=")


def commands_of(line):
    """The command words of a logical shell line, those in command substitutions included."""
    result = []
    at_cmd = True   # the next word is a command
    skip = 0        # words to pass over before it (a wrapper's own arguments)
    mode = None     # a command that runs another: timeout, ip, env, command
    in_test = redirect = False
    case_state = None  # "word" after case, "pattern" after its "in" or a ";;"
    for t in tokenize(line):
        if isinstance(t, tuple):
            result.extend(commands_of(t[1]))
            continue
        if t == "REDIR":
            redirect = True
            continue
        if redirect:  # the redirection's target
            redirect = False
            continue
        if in_test:
            in_test = t != "]]"
            continue
        if case_state == "word":
            case_state = "pattern" if t == "in" else "word"
            continue
        if t == ";;":
            case_state = "pattern"
            continue
        if case_state == "pattern":
            if t == ")":
                case_state, at_cmd, skip, mode = None, True, 0, None
            continue
        if t in SEPARATORS:
            at_cmd, skip, mode = True, 0, None
            continue
        if mode == "timeout":  # timeout [-k N] [-s SIG] [--opt] DURATION CMD
            if t in ("-k", "-s"):
                skip = 1
            elif skip:
                skip = 0
            elif not t.startswith("-"):
                mode, at_cmd = None, True
            continue
        if mode == "ip":  # ip netns exec NS CMD; any other ip command runs nothing
            skip += 1
            if skip == 1 and t != "netns" or skip == 2 and t != "exec":
                mode, at_cmd, skip = None, False, 0
            elif skip == 3:
                mode, at_cmd, skip = None, True, 0
            continue
        if mode == "env":  # env/nice [-u NAME | -n N | -opt | NAME=VALUE]... CMD
            if skip:
                skip = 0
            elif t in ("-u", "-n"):
                skip = 1
            elif not (t.startswith("-") or ASSIGN.match(t)):
                mode = None
                result.append(t)
                at_cmd = False
            continue
        if mode == "command":  # command [-v] CMD
            if t.startswith("-"):
                continue
            mode = None
            result.append(t)
            at_cmd = False
            continue
        if not at_cmd:
            continue
        if skip:
            skip -= 1
            continue
        if t in RESUME_AFTER or t == "((...))" or ASSIGN.match(t):
            continue
        if t == "[[":
            in_test, at_cmd = True, False
            continue
        if t == "case":
            case_state, at_cmd = "word", False
            continue
        if t in NOT_A_COMMAND_AFTER:
            at_cmd = False
            continue
        result.append(t)
        if t in WRAPPERS:
            skip = WRAPPERS[t]
        elif t == "timeout":
            mode, skip = "timeout", 0
        elif t == "ip":
            mode, skip = "ip", 0
        elif t in ("env", "nice"):
            mode, skip = "env", 0
        elif t == "command":
            mode = "command"
        else:
            at_cmd = False
    return result


def shell_commands(path):
    """{command word: [line numbers]} of the shell script at PATH, the Python heredoc bodies in it, and
    the modules its inline Python (python3 -c) imports."""
    text = open(path, encoding="utf-8", errors="replace").read()
    numbered, py_bodies = split_heredocs(text)
    found, py_inline = {}, []
    in_case = 0
    for n, line in logical_lines(numbered):
        s = line.strip()
        if s.startswith("#") or not s:
            continue
        if re.search(r"python|LAB_PY|import ", line):
            py_inline.extend((mod, n) for mod in inline_imports(line))
        if re.match(r"case\b", s):
            in_case += 1
        if re.match(r"esac\b", s) or s.endswith(" esac"):
            in_case = max(0, in_case - 1)
        # a case pattern "up)" or "a|b)" in front of its command
        if in_case and re.match(r"^\(?[^()\s]+(\s*\|\s*[^()\s]+)*\)", s) and not re.match(r"^[\w-]+\(\)", s):
            line = s[s.index(")") + 1:]
        for w in commands_of(line):
            found.setdefault(w, []).append(n)
    return found, py_bodies, py_inline


def defined_functions(shell_files):
    funcs = set()
    pat = re.compile(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)")
    for p in shell_files:
        for line in open(p, encoding="utf-8", errors="replace"):
            m = pat.match(line)
            if m:
                funcs.add(m.group(1))
    return funcs


# ---------------------------------------------------------------------------------------------- dpkg


def listed_packages():
    pkgs = []
    for line in open(PACKAGE_LIST):
        line = line.split("#", 1)[0].strip()
        if line:
            pkgs.append(line)
    return pkgs


def installed_closure(pkgs):
    """The listed packages and everything they depend on (recursively), as installed here."""
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests",
                          "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + pkgs,
                         capture_output=True, text=True).stdout
    return {ln.strip("<>").split(":")[0] for ln in out.splitlines() if ln and not ln.startswith(" ")}


def required_packages():
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n"],
                         capture_output=True, text=True).stdout
    return {w[0] for w in (ln.split() for ln in out.splitlines()) if len(w) >= 2 and (w[1] == "required" or "yes" in w[2:])}


def path_variants(p):
    vs = [p, os.path.realpath(p)]
    for q in list(vs):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
            if q.startswith(a):
                vs.append(b + q[len(a):])
            elif q.startswith(b):
                vs.append(a + q[len(b):])
    return list(dict.fromkeys(vs))


def owners(paths):
    """{path: [packages]} for the paths dpkg knows (usrmerge and symlinks considered)."""
    # Several commands may resolve to one file (traceroute and traceroute6 are both
    # traceroute.db through the alternatives), so a variant maps to every path it stands for.
    cand = {}
    for p in paths:
        for v in path_variants(p):
            cand.setdefault(v, set()).add(p)
    res = {}
    if not cand:
        return res
    out = subprocess.run(["dpkg-query", "-S"] + list(cand), capture_output=True, text=True).stdout
    for ln in out.splitlines():
        if ": " not in ln or ln.startswith("diversion by"):
            continue
        pk, path = ln.rsplit(": ", 1)
        for p in cand.get(path, ()):
            res.setdefault(p, set()).update(x.strip().split(":")[0] for x in pk.split(","))
    return res


def which(cmd):
    if cmd.startswith("/"):
        return cmd if os.access(cmd, os.X_OK) else None
    for d in SEARCH_PATH:
        p = os.path.join(d, cmd)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def module_file(name):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return spec.origin
    locs = list(spec.submodule_search_locations or [])
    return locs[0] if locs else None


def main():
    problems = []
    py_files = list(files(lambda p: p.endswith(".py")))
    shell_files = [p for p in files(lambda p: not p.endswith((".py", ".md", ".txt", ".yaml", ".c", ".cpp", ".hpp", ".build")))
                   if is_shell(p)]
    local_modules = {os.path.splitext(os.path.basename(p))[0] for p in py_files}
    ignore = sh_builtins() | defined_functions(shell_files)

    modules = {}  # name -> [where]
    for p in py_files:
        try:
            for name, line in py_imports(open(p, encoding="utf-8").read()):
                modules.setdefault(name, []).append(f"{rel(p)}:{line}")
        except SyntaxError as e:
            problems.append(f"{rel(p)}:{e.lineno}: cannot parse: {e.msg}")
    commands = {}  # word -> [where]
    for p in shell_files:
        found, bodies, inline = shell_commands(p)
        for w, lines in found.items():
            commands.setdefault(w, []).append(f"{rel(p)}:{lines[0]}")
        for start, body in bodies:
            try:
                for name, line in py_imports(body):
                    modules.setdefault(name, []).append(f"{rel(p)}:{start + line - 1}")
            except SyntaxError as e:
                problems.append(f"{rel(p)}:{start}: python heredoc does not parse: {e.msg}")
        for name, line in inline:
            modules.setdefault(name, []).append(f"{rel(p)}:{line}")

    to_check = {}  # file -> description
    for name in sorted(modules):
        if name in sys.stdlib_module_names or name in local_modules or name == "__future__":
            continue
        where = ", ".join(modules[name][:3])
        f = module_file(name)
        if f is None:
            problems.append(f"python module {name} ({where}): {SYSTEM_PY} cannot import it")
        else:
            to_check[f] = f"python module {name} ({where})"
    n_cmds = 0
    for w in sorted(commands):
        if w in ignore or "$" in w or "'" in w or '"' in w or "=" in w:
            continue
        if w.startswith(("./", "../")) or (("/" in w) and not w.startswith("/")):
            continue  # a path inside the repository or a build tree
        if not re.match(r"^[\w./+-]+$", w):
            continue
        where = ", ".join(commands[w][:3])
        if w in OPTIONAL:
            if VERBOSE:
                print(f"  optional command {w} ({where}): {OPTIONAL[w]}")
            continue
        f = which(w)
        if f is None:
            if w.startswith("/"):
                problems.append(f"command {w} ({where}): not installed")
            else:
                problems.append(f"command {w} ({where}): not in {':'.join(SEARCH_PATH)}, and not a shell function, "
                                "builtin or keyword of these scripts")
            continue
        n_cmds += 1
        to_check[f] = f"command {w} ({where})"

    pkgs = listed_packages()
    allowed = set(pkgs) | installed_closure(pkgs) | required_packages()
    own = owners(list(to_check))
    for f, what in sorted(to_check.items(), key=lambda kv: kv[1]):
        ps = own.get(f)
        if not ps:
            problems.append(f"{what}: {f} belongs to no Debian package (installed by hand?)")
        elif not ps & allowed:
            problems.append(f"{what}: {f} is from {', '.join(sorted(ps))}, which {rel(PACKAGE_LIST)} does not list "
                            "(nor anything it depends on)")
        elif VERBOSE:
            print(f"  ok {what}: {', '.join(sorted(ps))}")
    n_mods = sum(1 for d in to_check.values() if d.startswith("python module"))
    for p in problems:
        print(f"check-deps: {p}")
    print(f"check-deps: {n_mods} python modules and {n_cmds} commands of {len(py_files)} python and "
          f"{len(shell_files)} shell files checked against {len(pkgs)} listed packages: "
          f"{'ok' if not problems else str(len(problems)) + ' problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
