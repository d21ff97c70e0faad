#!/usr/bin/env python3
"""Robustness (mutation) testing for the nix2dream CLI.

Takes the repository's own inputs as seeds (examples/, fixtures/modules,
fixtures/eval, fixtures/builtins), mutates them, runs every variant
through the subcommands that read it, and records each run that breaks
the CLI's promises: a signal, an exit status other than 0/1, a panic
("panicked", "internal error", "RUST_BACKTRACE"), a timeout, a failed
render that leaves files in --out, an error report that does not start
with "error:", or --json output that is not JSON.

Standard library only.  See README.md next to this file.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---------------------------------------------------------------------------
# Seeds


class Seed:
    def __init__(self, kind, path, text):
        self.kind = kind  # "expr" | "deployment" | "optdecl"
        self.path = path  # absolute path of the seed file (None: synthetic)
        self.text = text  # bytes

    @property
    def dir(self):
        return os.path.dirname(self.path) if self.path else None

    def label(self):
        return os.path.relpath(self.path, REPO) if self.path else "synthetic"


def is_deployment_dir(d):
    return os.path.isfile(os.path.join(d, "default.nix"))


def collect_seeds(repo):
    seeds = []
    ex = os.path.join(repo, "examples")
    for name in sorted(os.listdir(ex)):
        d = os.path.join(ex, name)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            if not f.endswith(".nix"):
                continue
            kind = "deployment" if f == "default.nix" else "expr"
            seeds.append(Seed(kind, p, open(p, "rb").read()))
    for area in ("modules", "eval", "builtins"):
        d = os.path.join(repo, "fixtures", area)
        for f in sorted(os.listdir(d)):
            if f.endswith(".nix"):
                p = os.path.join(d, f)
                seeds.append(Seed("expr", p, open(p, "rb").read()))
    for root, _, files in os.walk(os.path.join(repo, "modules")):
        for f in sorted(files):
            if f.endswith(".nix"):
                p = os.path.join(root, f)
                seeds.append(Seed("optdecl", p, open(p, "rb").read()))
    return seeds


# ---------------------------------------------------------------------------
# Tokens

TOKEN_RE = re.compile(
    r"""
  (?P<ws>\s+)
 |(?P<comment>\#[^\n]*|/\*.*?\*/)
 |(?P<istr>''(?:[^']|'(?!')|''['$\\])*'')
 |(?P<str>"(?:[^"\\]|\\.)*")
 |(?P<path>(?:~|[A-Za-z0-9._+-]*)(?:/[A-Za-z0-9._+-]+)+/?|<[A-Za-z0-9._+/-]+>)
 |(?P<float>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
 |(?P<int>\d+)
 |(?P<ident>[A-Za-z_][A-Za-z0-9_'-]*)
 |(?P<op>\$\{|\.\.\.|==|!=|<=|>=|&&|\|\||->|//|\+\+|[-+*/<>!?.,;:=@{}\[\]()])
 |(?P<other>.)
""",
    re.S | re.X,
)

KEYWORDS = {"let", "in", "if", "then", "else", "with", "assert", "rec", "inherit", "or"}


def tokenize(text):
    """text: str (utf-8 with surrogateescape). Returns [(kind, str)]."""
    return [(m.lastgroup, m.group()) for m in TOKEN_RE.finditer(text)]


def join(tokens):
    return "".join(t for _, t in tokens)


def significant(tokens):
    return [i for i, (k, _) in enumerate(tokens) if k not in ("ws", "comment")]


def literal_positions(tokens):
    out = []
    for i, (k, t) in enumerate(tokens):
        if k in ("int", "float", "str", "istr", "path"):
            out.append(i)
        elif k == "ident" and t in ("true", "false", "null"):
            out.append(i)
    return out


def binding_starts(tokens):
    """Indices of names that start a binding `name ... = value;`."""
    sig = significant(tokens)
    out = []
    for j, i in enumerate(sig):
        k, t = tokens[i]
        if k not in ("ident", "str") or t in KEYWORDS:
            continue
        prev = tokens[sig[j - 1]][1] if j > 0 else ""
        if prev not in ("{", ";", "let", "rec"):
            continue
        # name(.name)* =
        jj = j + 1
        while jj + 1 < len(sig) and tokens[sig[jj]][1] == ".":
            jj += 2
        if jj < len(sig) and tokens[sig[jj]][1] == "=":
            out.append(i)
    return out


def binding_end(tokens, start):
    """Index of the `;` that ends the binding starting at `start`."""
    depth = 0
    for i in range(start, len(tokens)):
        t = tokens[i][1]
        if t in ("{", "[", "(", "${"):
            depth += 1
        elif t in ("}", "]", ")"):
            depth -= 1
            if depth < 0:
                return None
        elif t == ";" and depth == 0:
            return i
        elif t == "let":
            depth += 1
        elif t == "in" and depth > 0:
            depth -= 1
    return None


# ---------------------------------------------------------------------------
# Values

LITERALS = [
    "1", "0", "-1", "1.5", "0.0", '"s"', '""', "''x''", "true", "false", "null",
    "[ ]", "{ }", "(x: x)", "./nope", "[ 1 \"a\" ]", "{ a = 1; }",
    "9223372036854775807", "(-9223372036854775807 - 1)", "builtins.add",
    '(throw "mutated")', '(abort "mutated")', "(import ./does-not-exist.nix)",
    "(let x = x; in x)", '"${./does-not-exist}"', "<nope>", "{ outPath = \"/bin/sh\"; }",
    "(rec { a = a; }).a", "{ __functor = self: x: x; }", "{ __toString = self: 1; }",
    '"${builtins.toString 1}"', "(builtins.fromJSON \"{}\")", "1e308", "1.0e-320",
]

UNICODE = [
    "é", "e\u0301", "\u200b", "\u202e", "\U0001F600", "\ufeff", "\U0010FFFF", "ß", "İ",
    "\u0085", "\u2028", "中文", "\x7f", "\t", "\r", "\x0b", "\x1b[31m",
]
BAD_BYTES = [
    b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\x80", b"\x00",
    b"\xe2\x82", b"\x80", b"\xfe\xff", b"\xef\xbb\xbf",
]


def deep_wrappers():
    return [
        ("[ ", " ]"), ("( ", " )"), ("{ a = ", "; }.a"), ("{ a = ", "; }"), ("let a = ", "; in a"),
        ("-", ""), ("!", ""), ("(x: ", ") 1"), ("if true then ", " else 0"), ("x: ", ""),
        ("assert true; ", ""), ("with { }; ", ""), ('"${', '}"'), ("builtins.seq 1 (", ")"),
        ("[ 1 ", " ]"), ("1 + ", ""), ("", " + 1"), ("0 - ", ""), ("rec { a = ", "; }"),
        ("{ ", " = 1; }"), ("a.", ""),
    ]


def deep_nest(rng, inner):
    pre, post = rng.choice(deep_wrappers())
    n = rng.choice([10, 100, 500, 511, 513, 1000, 5000, 50000, 200000])
    if pre == "a." or pre == "{ ":
        # a deep attribute path instead of a deep expression
        path = ".".join("a" for _ in range(n))
        return "{ %s = %s; }" % (path, inner) if pre == "{ " else "({ }).%s or %s" % (path, inner)
    if pre in ("1 + ", "0 - ") or post == " + 1":
        # operator chains: long, not deep in parentheses
        return pre * n + inner + post * n
    return pre * n + inner + post * n


RUNTIME_DEEP = [
    # deep data structures, printed, compared, serialized
    "(builtins.foldl' (acc: x: [ acc ]) 0 (builtins.genList (x: x) {N}))",
    "(builtins.foldl' (acc: x: {{ a = acc; }}) {{ }} (builtins.genList (x: x) {N}))",
    "(let d = builtins.foldl' (acc: x: [ acc ]) 0 (builtins.genList (x: x) {N}); in d == d)",
    "(let d = builtins.foldl' (acc: x: {{ a = acc; }}) 0 (builtins.genList (x: x) {N}); in builtins.toJSON d)",
    "(let d = builtins.foldl' (acc: x: {{ a = acc; }}) 0 (builtins.genList (x: x) {N}); in builtins.toXML d)",
    "(let d = builtins.foldl' (acc: x: [ acc ]) 0 (builtins.genList (x: x) {N}); in builtins.deepSeq d 1)",
    "(let d = builtins.foldl' (acc: x: [ acc ]) 0 (builtins.genList (x: x) {N}); in builtins.toString d)",
    "(let d = builtins.foldl' (acc: x: [ acc ]) 0 (builtins.genList (x: x) {N}); in builtins.lessThan [ d ] [ d ])",
    "(builtins.fromJSON (builtins.concatStringsSep \"\" (builtins.genList (x: \"[\") {N})))",
    "(builtins.fromJSON (builtins.concatStringsSep \"\" (builtins.genList (x: \"[\") {N} ++ builtins.genList (x: \"]\") {N})))",
    "(builtins.fromTOML (\"a = \" + builtins.concatStringsSep \"\" (builtins.genList (x: \"[\") {N})))",
    "(builtins.fromTOML (\"a = \" + builtins.concatStringsSep \"\" (builtins.genList (x: \"{{ b = \") {N})))",
    # deep recursion
    "(let f = n: if n == 0 then 0 else 1 + f (n - 1); in f {N})",
    "(let f = n: if n == 0 then [ ] else [ (f (n - 1)) ]; in f {N})",
    "(builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) {N}))",
    "(builtins.genericClosure {{ startSet = [ {{ key = 0; }} ]; operator = x: if x.key < {N} then [ {{ key = x.key + 1; }} ] else [ ]; }})",
    "(let s = builtins.genList (x: {N} - x) {N}; in builtins.length (builtins.sort builtins.lessThan s))",
    "(let xs = builtins.genList (x: x) {N}; in builtins.length (builtins.sort (a: b: true) xs))",
    "(import <nix2dream/lib>).fix (self: {{ a = self.a; }})",
]

BUILTIN_PROBES = [
    "(9223372036854775807 + 1)", "(-9223372036854775807 - 2)", "(9223372036854775807 * 2)",
    "((-9223372036854775807 - 1) / (-1))", "(1 / 0)", "(1.0 / 0)", "(builtins.div 1 0)",
    "9223372036854775808", "99999999999999999999999999", "1e400", "(0.0 / 0.0)",
    "(builtins.fromJSON \"1e400\")", "(builtins.fromJSON \"99999999999999999999\")",
    "(builtins.fromJSON \"-9223372036854775809\")", "(builtins.fromJSON \"\\\"\\\\ud800\\\"\")",
    "(builtins.fromJSON \"\\\"\\\\u0000\\\"\")", "(builtins.fromJSON \"{\\\"a\\\":1,\\\"a\\\":2}\")",
    "(builtins.substring 9223372036854775807 1 \"abc\")", "(builtins.substring 1 9223372036854775807 \"abc\")",
    "(builtins.substring (-1) 1 \"abc\")", "(builtins.substring 1 (-1) \"abc\")",
    "(builtins.genList (x: x) (-1))", "(builtins.genList (x: x) 9223372036854775807)",
    "(builtins.elemAt [ 1 ] 9223372036854775807)", "(builtins.elemAt [ 1 ] (-1))",
    "(builtins.ceil 1e300)", "(builtins.floor (-1e300))", "(builtins.ceil (0.0 / 0.0))",
    "(builtins.floor 9.3e18)", "(builtins.toString 1e300)", "(builtins.toString (0.0/0.0))",
    "(builtins.toJSON (1.0 / 0))", "(builtins.toJSON (0.0 / 0.0))",
    "(builtins.match \"(((\" \"a\")", "(builtins.match \"a{1000000}\" \"a\")",
    "(builtins.match \"(a*)*b\" \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\")", "(builtins.split \"\" \"abc\")",
    "(builtins.split \"x*\" \"abc\")", "(builtins.match \"\\\\\" \"a\")", "(builtins.match \"[\" \"a\")",
    "(builtins.replaceStrings [ \"\" ] [ \"x\" ] \"abc\")", "(builtins.replaceStrings [ \"a\" ] [ ] \"abc\")",
    "(builtins.splitVersion \"1..2-\")", "(builtins.compareVersions \"1.0pre99999999999999999999\" \"1\")",
    "(builtins.parseDrvName \"-\")", "(builtins.hashString \"sha999\" \"x\")",
    "(builtins.convertHash { hash = \"sha256-\"; toHashFormat = \"base16\"; })",
    "(builtins.convertHash { hash = \"x\"; hashAlgo = \"md5\"; toHashFormat = \"nix32\"; })",
    "(builtins.fromTOML \"a = 99999999999999999999\")", "(builtins.fromTOML \"a = 1979-05-27T07:32:00Z\")",
    "(builtins.fromTOML \"a.b = 1\\na = 2\")", "(builtins.fromTOML \"[[a]]\\n[a]\")",
    "(builtins.fromTOML \"a = nan\")", "(builtins.fromTOML \"a = inf\")", "(builtins.fromTOML \"a = 1e400\")",
    "(builtins.bitAnd (-1) 9223372036854775807)", "(builtins.toString [ 1 [ 2 ] null true ])",
    "(builtins.baseNameOf \"\")", "(builtins.dirOf \"\")", "(builtins.dirOf \"/\")", "(/. + \"\")",
    "(builtins.toPath \"\")", "(builtins.storePath \"/nix/store/x\")", "(builtins.readFile /proc/self/status)",
    "(builtins.readFile /)", "(builtins.readDir ./does-not-exist)", "(builtins.readFileType /dev/null)",
    "(builtins.readDir /proc/self/fd)", "(builtins.hashFile \"sha256\" /dev/null)", "(builtins.pathExists \"\")",
    "(builtins.path { path = /dev/null; })", "(builtins.filterSource (p: t: true) ./does-not-exist)",
    "(builtins.toFile \"a/b\" \"x\")", "(builtins.toFile \"\" \"x\")", "(builtins.toFile \"x\" \"${./.}\")",
    "(builtins.derivation { name = \"\"; system = \"x\"; builder = \"/bin/sh\"; })",
    "(derivation { name = \"a\"; system = \"x\"; builder = \"/bin/sh\"; outputs = [ ]; })",
    "(derivation { name = \"a\"; system = \"x\"; builder = \"/bin/sh\"; outputs = [ \"out\" \"out\" ]; })",
    "(derivation { name = \"a\"; system = \"x\"; builder = \"/bin/sh\"; outputHash = \"x\"; })",
    "(derivation { name = \"a\\n\"; system = \"x\"; builder = \"/bin/sh\"; })",
    "(builtins.fetchurl { url = \"http://x\"; sha256 = \"\"; })", "(builtins.fetchTarball \"\")",
    "(builtins.getContext (builtins.appendContext \"x\" { \"/nix/store/x\" = { path = true; }; }))",
    "(builtins.appendContext \"x\" { \"\" = { outputs = [ ]; }; })",
    "(builtins.unsafeGetAttrPos \"a\" { })", "(builtins.functionArgs builtins.add)",
    "(builtins.tryEval (builtins.abort \"x\"))", "(builtins.tryEval (let x = x; in x))",
    "(builtins.addErrorContext 1 (throw \"x\"))", "(builtins.warn 1 1)", "(builtins.trace (x: x) 1)",
    "(builtins.scopedImport { } ./does-not-exist.nix)", "(builtins.scopedImport 1 ./.)",
    "(builtins.findFile [ { prefix = \"\"; path = 1; } ] \"x\")", "(builtins.genericClosure { startSet = [ { } ]; operator = x: [ ]; })",
    "(builtins.genericClosure { startSet = [ { key = x: x; } ]; operator = x: [ ]; })",
    "(builtins.listToAttrs [ { name = \"\"; value = 1; } ])", "(builtins.groupBy (x: 1) [ 1 ])",
    "(builtins.zipAttrsWith (n: v: v) [ 1 ])", "(builtins.sort (a: b: 1) [ 2 1 ])", "(builtins.sort (a: b: true) [ 1 2 3 ])",
    "(builtins.concatStringsSep \"\" (builtins.genList (x: \"\\u00e9\") 100000))",
    "(builtins.stringLength (builtins.concatStringsSep \"x\" (builtins.genList (x: \"yyyyyyyy\") 3000000)))",
    "(builtins.genList (x: x) 100000000)", "(builtins.length (builtins.genList (x: x) 30000000))",
    "builtins.__nix2dreamModules", "(builtins.__nix2dreamModules 1)", "(builtins.__nix2dreamModules { })",
]


def huge_string(rng):
    n = rng.choice([70000, 1 << 20, 20 << 20])
    c = rng.choice(["a", "é", "$", "\\", "\n", "${", "''"])
    body = c * (n // len(c))
    if c in ("${", "''"):
        return '"' + body.replace("$", "\\$").replace("'", "x") + '"'
    return '"' + body.replace("\\", "\\\\").replace("$", "\\$") + '"'


HUGE_INTS = [
    "9223372036854775807", "9223372036854775808", "18446744073709551616", "-9223372036854775808",
    "99999999999999999999999999999999999999999", "0000000000000000000000001", "1" * 5000,
    "1e99999", "0.000000000000000000000000000000000000000000001e-400", "1." + "9" * 5000,
]


# ---------------------------------------------------------------------------
# Typed deployment values, derived from `nix2dream options --json`

GENERIC = [
    "1", '"x"', "[ ]", "{ }", "null", "true", "1.5", "./nope", "(x: x)", '(throw "mutated")',
    "{ outPath = \"/bin/sh\"; }", '[ "a" 1 ]', '""', "-1", "(let x = x; in x)",
]
WEIRD_STRINGS = [
    '""', '"."', '".."', '"a/"', '"/abs"', '"a/../b"', '"a//b"', '"../../escape"', '"a\\nb"', '"é"',
    '"' + "x" * 300 + '"', '"' + "x/" * 3000 + '"', '" "', '"-"', '"a b"', '"$HOME"', '"`id`"', '"a\\tb"',
    "\"'\"", '"\\""', '"%s"', '"\\r"', '"\U0001F600"', '"/"', '"/dev/null"', '"/proc/self"', '"a=b"',
    '"=" ', '"${"x"}"', '"0"', '"-rf"', '"\\u0000"',
]
DURATIONS_OK = ['"500ms"', '"2s"', '"1m"', "0", "1.5", '"1h"', '"0s"']
DURATIONS_BAD = [
    '""', '"abc"', '"-1s"', '"1x"', "-1", '"99999999999999999999s"', "1e300", '"1e3s"', '"1.5.2s"',
    '"ms"', '" 1s"', '"9223372036854775807h"', "9223372036854775807", '"1d"', "(0.0/0.0)", "-0.0",
    '"1.797693e308s"', '"0.0000000001ms"',
]


def values_for(type_str, rng, valid):
    t = type_str
    if t.startswith("null or "):
        if rng.random() < 0.2:
            return "null"
        t = t[len("null or "):]
    if t.startswith("(") and t.endswith(")") and t.count("(") == 1:
        t = t[1:-1]
    if t == "boolean":
        return rng.choice(["true", "false"]) if valid else rng.choice(['"true"', "1", "null"])
    if t.startswith("duration"):
        return rng.choice(DURATIONS_OK if valid else DURATIONS_BAD)
    if t.startswith("one of"):
        opts = re.findall(r'"([^"]*)"', t)
        if valid:
            return '"%s"' % rng.choice(opts)
        return rng.choice(['"%s"' % rng.choice(opts).upper(), '""', '"bogus"', "1", "[ ]"])
    if "16 bit unsigned" in t:
        return rng.choice(["0", "80", "65535", "8080"]) if valid else rng.choice(
            ["-1", "65536", "9223372036854775807", '"80"', "1.5"])
    if t.startswith("positive integer") or t.startswith("unsigned integer"):
        return rng.choice(["1", "2", "3"]) if valid else rng.choice(
            ["0", "-1", '"1"', "1.0", "9223372036854775807", "1000000", "4294967297"])
    if t.startswith("port name"):
        return rng.choice(['"http"', "8080"]) if valid else rng.choice(['"nope"', "70000", "-1", '""', "0"])
    if t.startswith("string matching the pattern"):
        return rng.choice(['"web"', '"a.b-c_d"', '"/"', '"/x"', '"512M"']) if valid else rng.choice(WEIRD_STRINGS)
    if t.startswith("list of"):
        n = rng.randint(0, 3)
        inner = re.sub(r"^list of \(?|\)?$", "", t)
        return "[ " + " ".join(values_for(inner, rng, valid) for _ in range(n)) + " ]"
    if t.startswith("attribute set of") or t.startswith("lazy attribute set of"):
        if "submodule" in t:
            return "{ }"
        inner = re.sub(r"^(lazy )?attribute set of \(?|\)?$", "", t)
        name = rng.choice(["a", '"A B"', '""', '"1"', '"é"', "PATH"])
        return "{ %s = %s; }" % (name, values_for(inner, rng, valid))
    if t.startswith("string") or t.startswith("strings concatenated"):
        return rng.choice(['"x"', '"hello world"', '"é"', '"$PORT_HTTP"']) if valid else rng.choice(WEIRD_STRINGS + GENERIC)
    if "integer" in t:
        return rng.choice(["1", "42"]) if valid else rng.choice(["-1", "0", '"1"', "9223372036854775807"])
    if "path" in t or "package" in t:
        return rng.choice(['"/bin/sh"', '"sh"', "./nope", '{ outPath = "/bin/sh"; meta.mainProgram = "sh"; }']) if valid \
            else rng.choice(['""', '"/nonexistent/bin/x"', "{ }", "1", '{ outPath = ""; }', '{ outPath = 1; }'])
    return rng.choice(GENERIC)


class Options:
    def __init__(self, table):
        self.service = {k[len("services.<name>."):]: v for k, v in table.items() if k.startswith("services.<name>.")}
        self.top = {k: v for k, v in table.items() if not k.startswith("services")}

    def random_assignment(self, rng, svc, valid):
        """A `path = value;` line for a service option (or a top-level one)."""
        if rng.random() < 0.12:
            name = rng.choice(sorted(self.top))
            return "%s = %s;" % (name, values_for(self.top[name], rng, valid))
        name = rng.choice(sorted(self.service))
        typ = self.service[name]
        parts = []
        for p in name.split("."):
            if p == "<name>":
                p = rng.choice(["a", "http", "x", '"weird name"', '"a/b"', '"app.conf"'])
            parts.append(p)
        return "services.%s.%s = %s;" % (svc, ".".join(parts), values_for(typ, rng, valid))


def load_options(binary):
    out = subprocess.run([binary, "options", "--json"], capture_output=True, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        sys.exit("cannot read the options table: %s" % out.stderr.decode(errors="replace"))
    return Options({k: v.get("type", "") for k, v in json.loads(out.stdout).items()})


SERVICE_NAMES = ["a", "b", "c", "web", "db", '"weird name"', '"é"', '""', '"a/b"', '".."', '"' + "s" * 250 + '"', '"-x"', '"A"']


def synth_deployment(rng, options):
    n = rng.randint(1, 4)
    names = [rng.choice(SERVICE_NAMES[:5]) for _ in range(n)]
    if rng.random() < 0.3:
        names[0] = rng.choice(SERVICE_NAMES)
    names = list(dict.fromkeys(names))
    lines = ["{ config, lib, ... }:", "{"]
    for s in names:
        how = rng.random()
        if how < 0.5:
            lines.append('  services.%s.process.argv = [ "true" ];' % s)
        elif how < 0.8:
            lines.append('  services.%s.service.package = "sh";' % s)
            lines.append('  services.%s.service.args = [ "-c" "echo $X" ];' % s)
        else:
            lines.append('  services.%s.service.mainProgram = "/bin/sh";' % s)
        for _ in range(rng.randint(0, 5)):
            lines.append("  " + options.random_assignment(rng, s, valid=rng.random() < 0.8))
    lines.append("}")
    return "\n".join(lines) + "\n"


def service_names(text):
    names = re.findall(r"services\.([A-Za-z_][A-Za-z0-9_-]*)", text)
    names += re.findall(r"^  ([A-Za-z_][A-Za-z0-9_-]*) = ", text, re.M) if "services = {" in text else []
    return sorted(set(names)) or ["x"]


def insert_before_last_brace(text, line):
    i = text.rfind("}")
    if i < 0:
        return text + "\n" + line
    return text[:i] + "  " + line + "\n" + text[i:]


def deployment_mutation(rng, text, options):
    svcs = service_names(text)
    s = rng.choice(svcs)
    op = rng.choice(["option", "option", "option", "cycle", "configdata", "missing", "svcname", "ports", "unknown", "dup"])
    if op == "option":
        line = options.random_assignment(rng, s, valid=rng.random() < 0.3)
    elif op == "cycle":
        a = rng.choice(svcs)
        b = rng.choice(svcs)
        form = rng.choice(["attr", "list", "self", "unknown", "cond"])
        if form == "self":
            line = "services.%s.dependsOn.%s = { };" % (a, a)
        elif form == "list":
            line = 'services.%s.dependsOn = [ "%s" "%s" ]; services.%s.dependsOn = [ "%s" ];' % (a, b, b, b, a)
        elif form == "unknown":
            line = 'services.%s.dependsOn.%s.condition = "healthy";' % (a, rng.choice(["nope", '"a b"', '""', s + "x"]))
        elif form == "cond":
            line = "services.%s.dependsOn.%s = %s;" % (a, b, rng.choice(['"bogus"', "1", "{ condition = 1; }", "{ x = 1; }", "[ ]", '"healthy"']))
        else:
            line = 'services.%s.dependsOn.%s = { }; services.%s.dependsOn.%s.condition = "started";' % (a, b, b, a)
        if len(svcs) >= 3 and rng.random() < 0.5:
            x, y, z = rng.sample(svcs, 3)
            line = "services.%s.dependsOn = [ \"%s\" ]; services.%s.dependsOn = [ \"%s\" ]; services.%s.dependsOn = [ \"%s\" ];" % (x, y, y, z, z, x)
    elif op == "configdata":
        name = rng.choice(WEIRD_STRINGS + ['"ok.conf"', '"a/b/c"'])
        field = rng.choice(["key", "name", "path", "source", "text", "both"])
        if field == "key":
            line = "services.%s.configData.%s.text = \"x\";" % (s, name)
        elif field == "name":
            line = "services.%s.configData.a = { name = %s; text = \"x\"; };" % (s, name)
        elif field == "path":
            line = "services.%s.configData.a = { path = %s; text = \"x\"; };" % (s, name)
        elif field == "source":
            src = rng.choice(["./missing.conf", '"/nonexistent"', '"/etc"', '"/dev/null"', '"/proc/self/status"', '""', '"relative"', "./."])
            line = "services.%s.configData.a.source = %s;" % (s, src)
        elif field == "text":
            line = "services.%s.configData.a.text = %s;" % (s, rng.choice(['""', "1", "[ ]", '"\\u0000"', huge_string(rng)]))
        else:
            line = 'services.%s.configData.a = { text = "x"; source = ./nope; };' % s
    elif op == "missing":
        line = rng.choice([
            "imports = [ ./missing.nix ];", "services.%s.environmentFiles = [ ./missing.env ];" % s,
            'services.%s.environmentFiles = [ "/nonexistent.env" "/etc" ];' % s,
            'services.%s.service.package = "/nonexistent/bin/x";' % s, "services.%s.workingDirectory = ./missing;" % s,
            "services.%s.service.mainProgram = ./missing;" % s, 'services.%s.service.package = "definitely-not-a-program";' % s,
            "services.%s.imports = [ ./missing.nix ];" % s, "services.%s.imports = [ 1 ];" % s,
            "services.%s.renderers.procfile.launchCommand = ./missing;" % s,
            "services.%s.service.entrypoint = ./missing;" % s,
        ])
    elif op == "svcname":
        name = rng.choice(SERVICE_NAMES)
        line = "services.%s = { process.argv = [ \"true\" ]; %s };" % (name, rng.choice(["", "replicas = 3;", "ports.http = { };", "configData.a.text = \"x\";", "service.volumes.v = { };"]))
    elif op == "ports":
        line = rng.choice([
            "renderers.procfile.portBase = 65535; services.%s.ports = { a = { }; b = { }; c = { }; };" % s,
            "services.%s.ports.a.hostPort = 80; services.%s.ports.b.hostPort = 80;" % (s, s),
            "services.%s.ports.%s = { };" % (s, rng.choice(['""', '"a b"', '"é"', '"a-b"', "x" * 200])),
            "services.%s.replicas = %s; services.%s.ports.a = { };" % (s, rng.choice(["100000", "9223372036854775807", "65536"]), s),
            "services.%s.healthCheck.httpGet.port = %s;" % (s, rng.choice(['"nope"', "0", "99999"])),
            "services.%s.healthCheck = { };" % s,
            "services.%s.healthCheck = { command = \"true\"; tcpConnect.port = 1; };" % s,
        ])
    elif op == "unknown":
        line = "services.%s.%s = 1;" % (s, rng.choice(["restrat.policy", "process.arg", "servce", "ports.http.portt", "a.b.c.d.e"]))
    else:
        line = options.random_assignment(rng, s, valid=True)
        line = line + " " + line
    return insert_before_last_brace(text, line), "deploy:" + op


# ---------------------------------------------------------------------------
# Mutations


class Mutator:
    def __init__(self, seeds, options, builtin_names):
        self.seeds = seeds
        self.options = options
        self.builtin_names = builtin_names

    def mutate(self, rng, seed):
        """Returns (bytes, [mutation names])."""
        if seed.path is None:
            text = synth_deployment(rng, self.options)
        else:
            text = seed.text.decode("utf-8", "surrogateescape")
        applied = []
        n = rng.choice([1, 1, 1, 2, 2, 3])
        byte_ops = []
        for _ in range(n):
            op = self.pick_op(rng, seed)
            if op in ("truncate", "bad_bytes"):
                byte_ops.append(op)
                continue
            if len(text) > 200000:
                # The tokenizer's regex is quadratic on long runs of path
                # characters (`a.a.a...`): big texts get byte mutations only.
                byte_ops.append(rng.choice(["truncate", "bad_bytes"]))
                continue
            try:
                text, name = getattr(self, "op_" + op)(rng, text)
            except IndexError:
                name = op + "(noop)"
            applied.append(name)
        data = text.encode("utf-8", "surrogateescape")
        for op in byte_ops:
            data, name = getattr(self, "op_" + op)(rng, data)
            applied.append(name)
        return data, applied

    def pick_op(self, rng, seed):
        ops = [
            ("tok_delete", 8), ("tok_dup", 5), ("tok_swap", 5), ("tok_replace", 6), ("literal_swap", 10),
            ("attr_delete", 8), ("attr_rename", 6), ("deep_nest", 4), ("runtime_deep", 3), ("builtin_probe", 6),
            ("builtin_call", 5), ("huge", 3), ("unicode", 4), ("bad_bytes", 4), ("truncate", 4), ("splice", 4),
        ]
        if seed.kind == "deployment":
            ops.append(("deployment", 40))
        total = sum(w for _, w in ops)
        r = rng.uniform(0, total)
        for name, w in ops:
            r -= w
            if r <= 0:
                return name
        return ops[-1][0]

    def op_deployment(self, rng, text):
        return deployment_mutation(rng, text, self.options)

    def op_tok_delete(self, rng, text):
        toks = tokenize(text)
        sig = significant(toks)
        i = rng.choice(sig)
        n = rng.choice([1, 1, 1, 2, 3, 5])
        for j in sorted(sig[sig.index(i):sig.index(i) + n], reverse=True):
            del toks[j]
        return join(toks), "tok_delete"

    def op_tok_dup(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(significant(toks))
        toks.insert(i, toks[i])
        return join(toks), "tok_dup"

    def op_tok_swap(self, rng, text):
        toks = tokenize(text)
        sig = significant(toks)
        i, j = rng.choice(sig), rng.choice(sig)
        toks[i], toks[j] = toks[j], toks[i]
        return join(toks), "tok_swap"

    def op_tok_replace(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(significant(toks))
        pool = ["{", "}", "[", "]", "(", ")", ";", "=", ":", ".", "...", "@", "?", "//", "++", "->", "${", "in", "let",
                "rec", "inherit", "with", "or", "if", "then", "else", "assert", "__curPos", "__sub", "builtins", "''", '"', "#", "/*"]
        toks[i] = ("op", " %s " % rng.choice(pool))
        return join(toks), "tok_replace"

    def op_literal_swap(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(literal_positions(toks))
        toks[i] = ("lit", " (%s) " % rng.choice(LITERALS))
        return join(toks), "literal_swap"

    def op_attr_delete(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(binding_starts(toks))
        end = binding_end(toks, i)
        if end is None:
            return text, "attr_delete(noop)"
        del toks[i:end + 1]
        return join(toks), "attr_delete"

    def op_attr_rename(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(binding_starts(toks))
        k, t = toks[i]
        name = t.strip('"')
        choices = [name + "x", name[:-1] or "_", name.upper(), name[::-1] or "y", '"%s é"' % name, '"${"%s"}"' % name,
                   '""', '"a.b"', "__functor", "__toString", "outPath", "_module", "imports", "config", "options", name + "'"]
        toks[i] = ("ident", rng.choice(choices))
        return join(toks), "attr_rename"

    def op_deep_nest(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(literal_positions(toks))
        toks[i] = ("deep", " (%s) " % deep_nest(rng, toks[i][1]))
        return join(toks), "deep_nest"

    def op_runtime_deep(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(literal_positions(toks))
        n = rng.choice([1000, 10000, 100000, 1000000])
        toks[i] = ("deep", " %s " % rng.choice(RUNTIME_DEEP).format(N=n))
        return join(toks), "runtime_deep(%d)" % n

    def op_builtin_probe(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(literal_positions(toks))
        toks[i] = ("probe", " %s " % rng.choice(BUILTIN_PROBES))
        return join(toks), "builtin_probe"

    def op_builtin_call(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(literal_positions(toks))
        name = rng.choice(self.builtin_names)
        args = " ".join("(%s)" % rng.choice(LITERALS + [toks[i][1]]) for _ in range(rng.randint(0, 3)))
        toks[i] = ("call", " (builtins.%s %s) " % (name if re.match(r"^[A-Za-z_][\w'-]*$", name) else '"%s"' % name, args))
        return join(toks), "builtin_call(%s)" % name

    def op_huge(self, rng, text):
        toks = tokenize(text)
        i = rng.choice(literal_positions(toks))
        if rng.random() < 0.5:
            toks[i] = ("huge", " %s " % huge_string(rng))
        else:
            toks[i] = ("huge", " %s " % rng.choice(HUGE_INTS))
        return join(toks), "huge"

    def op_unicode(self, rng, text):
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + rng.choice(UNICODE) + text[pos:], "unicode"

    def op_splice(self, rng, text):
        other = rng.choice(self.seeds).text.decode("utf-8", "surrogateescape")
        otoks = tokenize(other)
        if not otoks:
            return text, "splice(noop)"
        a = rng.randrange(len(otoks))
        b = min(len(otoks), a + rng.randint(1, 30))
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + join(otoks[a:b]) + text[pos:], "splice"

    def op_truncate(self, rng, data):
        return data[:rng.randrange(len(data) + 1)], "truncate"

    def op_bad_bytes(self, rng, data):
        pos = rng.randrange(len(data) + 1)
        return data[:pos] + rng.choice(BAD_BYTES) + data[pos:], "bad_bytes"


# ---------------------------------------------------------------------------
# Running


class Run:
    def __init__(self, argv, cwd, rc, elapsed, timed_out, stderr, stdout_head, stdout_len, out_dir_state):
        self.argv, self.cwd, self.rc, self.elapsed = argv, cwd, rc, elapsed
        self.timed_out, self.stderr = timed_out, stderr
        self.stdout_head, self.stdout_len = stdout_head, stdout_len
        self.out_dir_state = out_dir_state


def run_cmd(argv, cwd, env, timeout, mem_mb, scratch):
    def limits():
        os.setsid()
        if mem_mb:
            resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Not more than this much of output files.
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 << 20, 512 << 20))

    out_path = os.path.join(scratch, "stdout")
    err_path = os.path.join(scratch, "stderr")
    start = time.monotonic()
    timed_out = False
    with open(out_path, "wb") as so, open(err_path, "wb") as se:
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=so, stderr=se, preexec_fn=limits)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            rc = p.wait()
    elapsed = time.monotonic() - start
    with open(err_path, "rb") as f:
        stderr = f.read(64 << 10)
    stdout_len = os.path.getsize(out_path)
    with open(out_path, "rb") as f:
        stdout_head = f.read(32 << 20)
    return Run(argv, cwd, rc, elapsed, timed_out, stderr, stdout_head, stdout_len, None)


def signature_line(stderr):
    text = stderr.decode("utf-8", "replace")
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith(("warning:", "trace:", "note:"))]
    first = lines[0] if lines else ""
    m = re.search(r"internal error in nix2dream at ([^:]+:\d+)", text)
    if m:
        return "panic at " + m.group(1)
    m = re.search(r"panicked at ([^:]+:\d+)", text)
    if m:
        return "panic at " + m.group(1)
    first = re.sub(r"/[^\s'`:]*", "PATH", first)
    first = re.sub(r"\d+", "N", first)
    first = re.sub(r"'[^']*'|`[^`]*'|\"[^\"]*\"", "Q", first)
    return first[:160]


def judge(run, cmd_kind, json_out, out_dir, out_dir_existed, timeout_limit):
    """The list of (category, detail) this run is flagged for."""
    flags = []
    text = run.stderr.decode("utf-8", "replace")
    if run.timed_out:
        flags.append(("timeout", "no exit after %.1fs" % timeout_limit))
        return flags
    if run.rc < 0:
        name = signal.Signals(-run.rc).name if -run.rc in signal.valid_signals() else str(-run.rc)
        if "memory allocation of" in text:
            flags.append(("oom-abort", name))
        else:
            flags.append(("signal", name))
    elif run.rc not in (0, 1):
        flags.append(("exit-status", str(run.rc)))
    # Not in the source lines an error report quotes (`  12| ...`).
    own = "\n".join(l for l in text.splitlines() if not re.match(r"^\s+(\d+)?\| ", l))
    for needle in ("panicked", "internal error", "RUST_BACKTRACE", "stack backtrace"):
        if needle in own:
            flags.append(("panic", needle))
            break
    if run.rc == 1:
        lines = [l for l in text.splitlines() if not l.startswith(("warning:", "trace:", "evaluation warning:", "note:"))]
        if not lines or not lines[0].startswith("error:"):
            flags.append(("bad-error-report", (lines[0] if lines else "(empty stderr)")[:120]))
    # Nix 2.8 prints infinite and NaN floats as `inf`/`nan` in --json too
    # (fixtures/builtins/fromtoml-special-floats.nix): not JSON, but Nix's.
    special_floats = re.search(rb"(?<![\w\"])-?(inf|nan)(?![\w\"])", run.stdout_head)
    if run.rc == 0 and json_out and run.stdout_len <= len(run.stdout_head) and not special_floats:
        try:
            json.loads(run.stdout_head)
        except ValueError as e:
            flags.append(("bad-json", str(e)[:100]))
        except RecursionError:
            pass  # deeper than Python's parser goes: not the CLI's fault
    if cmd_kind == "render" and out_dir is not None:
        if run.rc != 0:
            if os.path.exists(out_dir) and (not out_dir_existed or os.listdir(out_dir)):
                left = []
                for root, dirs, files in os.walk(out_dir):
                    left += [os.path.relpath(os.path.join(root, f), out_dir) for f in files + dirs]
                flags.append(("render-leftover", ", ".join(sorted(left)[:5]) or "(the directory)"))
        elif run.rc == 0 and not os.path.isfile(os.path.join(out_dir, "Procfile")):
            flags.append(("render-no-procfile", "exit 0 without a Procfile"))
    return flags


def commands_for(kind, case_file, out_dir, modules_dir, repo):
    """[(cmd_kind, argv tail, json_out)]"""
    if kind == "expr":
        return [
            ("eval", ["eval", case_file], False),
            ("eval", ["eval", "--strict", case_file], False),
            ("eval", ["eval", "--json", case_file], True),
            ("eval", ["eval", "--strict", "--json", case_file], True),
        ]
    if kind == "deployment":
        return [
            ("config", ["config", "--json", case_file], True),
            ("render", ["render", "--target", "procfile", case_file, "--out", out_dir], False),
        ]
    # optdecl: a mutated copy of modules/ as <nix2dream>
    inc = ["-I", "nix2dream=" + modules_dir]
    return [
        ("options", ["options", "--json"] + inc, True),
        ("config", ["config", "--json"] + inc + [os.path.join(repo, "examples", "web")], True),
    ]


# ---------------------------------------------------------------------------
# Cases


def prepare_case(seed, data, case_dir):
    """Lays out the case's files; returns (case_file, modules_dir).

    The mutated file sits beside links to every other file of its seed's
    folder, so that relative imports and paths still resolve."""
    os.makedirs(case_dir)
    if seed.kind == "optdecl":
        modules = os.path.join(case_dir, "modules")
        shutil.copytree(os.path.join(REPO, "modules"), modules)
        target = os.path.join(modules, os.path.relpath(seed.path, os.path.join(REPO, "modules")))
        with open(target, "wb") as f:
            f.write(data)
        return target, modules
    src = os.path.join(case_dir, "src")
    os.makedirs(src)
    name = os.path.basename(seed.path) if seed.path else "default.nix"
    if seed.dir:
        # Links to the folder's helpers (`_data`, non-case files) and to
        # what the text names as `./NAME`: linking all of a fixtures folder
        # per case would cost more than running it.
        named = set(re.findall(rb"\./([A-Za-z0-9._+-]+)", data))
        for entry in os.listdir(seed.dir):
            if entry == name:
                continue
            helper = entry.startswith("_") or not entry.endswith((".nix", ".exp", ".err", ".oracle"))
            if helper or entry.encode() in named:
                os.symlink(os.path.join(seed.dir, entry), os.path.join(src, entry))
    case_file = os.path.join(src, name)
    with open(case_file, "wb") as f:
        f.write(data)
    return case_file, None


def base_env(case_dir):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.path.join(case_dir, "home"),
        "NIX_PATH": "",
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
        "NIX2DREAM_STATE_DIR": os.path.join(case_dir, "state"),
    }
    return env


def execute_case(args, binary, seed, data, case_dir, timings):
    """Runs one case; returns [(flags, run, cmd_kind)] for the flagged runs."""
    case_file, modules_dir = prepare_case(seed, data, case_dir)
    env = base_env(case_dir)
    scratch = os.path.join(case_dir, "io")
    os.makedirs(scratch)
    found = []
    out_dir = os.path.join(case_dir, "out")
    for cmd_kind, tail, json_out in commands_for(seed.kind, case_file, out_dir, modules_dir, REPO):
        out_dir_existed = False
        if cmd_kind == "render":
            shutil.rmtree(out_dir, ignore_errors=True)
            # Half of the renders go to a folder that exists (and is empty).
            if hashlib.sha1(data).digest()[0] & 1:
                os.makedirs(out_dir)
                out_dir_existed = True
        run = run_cmd([binary] + tail, os.path.dirname(case_file), env, args.timeout, args.mem_mb, scratch)
        run.out_dir_existed = out_dir_existed
        flags = judge(run, cmd_kind, json_out, out_dir if cmd_kind == "render" else None, out_dir_existed, args.timeout)
        if flags:
            found.append((flags, run, cmd_kind))
        timings.append((run.elapsed, cmd_kind))
    return found


REPRO_SH = r"""#!/bin/sh
# Re-run this finding: sh repro.sh [PATH-TO-nix2dream]
# It lays the case out as the tool did (links to the seed's folder) in a
# fresh temporary folder and runs the command with the same limits.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-%(binary)s}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
%(layout)s
export HOME="$work/home" NIX_PATH= NO_COLOR=1 LANG=C.UTF-8 NIX2DREAM_STATE_DIR="$work/state"
unset RUST_BACKTRACE
cd "%(cwd)s"
%(pre)s(ulimit -v %(mem_kb)s; ulimit -c 0; exec timeout -s KILL %(timeout)s "$bin" %(args)s)
echo "exit status: $?" >&2
"""


def save_finding(findings_dir, seed, data, mutations, flags, run, cmd_kind, case_dir, binary, args, rng_seed, case_no):
    cat = flags[0][0]
    sig = signature_line(run.stderr) if cat in ("panic", "bad-error-report", "signal", "oom-abort", "exit-status") else flags[0][1]
    key = "%s|%s|%s" % (cat, cmd_kind, sig)
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    d = os.path.join(findings_dir, cat, "%s-%d-%d" % (digest, rng_seed, case_no))
    os.makedirs(d, exist_ok=True)
    name = os.path.basename(seed.path) if seed.path else "default.nix"
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    # Rewrite the case's paths onto the reproducer's temporary folder.
    def rel(a):
        return a.replace(case_dir, "$work") if isinstance(a, str) else a
    argv_tail = [rel(a) for a in run.argv[1:]]
    if seed.kind == "optdecl":
        mod_rel = os.path.relpath(seed.path, os.path.join(REPO, "modules"))
        layout = 'cp -r "%s/modules" "$work/modules"\ncp "$here/%s" "$work/modules/%s"' % (REPO, name, mod_rel)
    else:
        layout = 'mkdir -p "$work/src"\n'
        if seed.dir:
            layout += 'for e in "%s"/* "%s"/.[!.]*; do [ -e "$e" ] && ln -s "$e" "$work/src/"; done\n' % (seed.dir, seed.dir)
            layout += 'rm -f "$work/src/%s"\n' % name
        layout += 'cp "$here/%s" "$work/src/%s"' % (name, name)
    pre = 'mkdir -p "$work/out"\n' if getattr(run, "out_dir_existed", False) else ""
    shell_args = " ".join('"%s"' % a.replace('"', '\\"') if "$work" in a else shlex.quote(a) for a in argv_tail)
    with open(os.path.join(d, "repro.sh"), "w") as f:
        f.write(REPRO_SH % {
            "binary": shlex.quote(binary), "layout": layout, "cwd": rel(run.cwd), "mem_kb": args.mem_mb * 1024,
            "timeout": int(args.timeout), "args": shell_args, "pre": pre,
        })
    with open(os.path.join(d, "cmd.txt"), "w") as f:
        f.write(" ".join(shlex.quote(a) for a in run.argv) + "\n(cwd %s)\n" % run.cwd)
    with open(os.path.join(d, "stderr.txt"), "wb") as f:
        f.write(run.stderr[:20000])
    info = {
        "category": cat, "flags": flags, "signature": sig, "key": key, "command": cmd_kind, "argv": run.argv,
        "argv_in_repro": argv_tail, "seed": seed.label(), "seed_kind": seed.kind, "mutations": mutations,
        "exit": run.rc, "timed_out": run.timed_out, "elapsed": round(run.elapsed, 3), "rng_seed": rng_seed,
        "case": case_no, "case_file": name, "size": len(data),
    }
    with open(os.path.join(d, "info.json"), "w") as f:
        json.dump(info, f, indent=1)
    return key, d


def builtin_names(binary):
    out = subprocess.run([binary, "eval", "--strict", "--json", "-E", "builtins.attrNames builtins"],
                         capture_output=True, stdin=subprocess.DEVNULL)
    try:
        return [n for n in json.loads(out.stdout) if n not in ("builtins",)]
    except ValueError:
        return ["toJSON", "fromJSON", "map"]


def main_run(args):
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit("no nix2dream binary at %s (build it, or pass --bin)" % binary)
    seeds = collect_seeds(REPO)
    if args.only:
        seeds = [s for s in seeds if re.search(args.only, s.label())]
    options = load_options(binary)
    mutator = Mutator(seeds, options, builtin_names(binary))
    deployment_seeds = [s for s in seeds if s.kind == "deployment"]
    optdecl_seeds = [s for s in seeds if s.kind == "optdecl"]
    expr_seeds = [s for s in seeds if s.kind == "expr"]
    synthetic = Seed("deployment", None, b"")
    os.makedirs(args.out, exist_ok=True)
    findings_dir = os.path.join(args.out, "findings")
    work_root = tempfile.mkdtemp(prefix="work-", dir=args.out)
    lock = threading.Lock()
    stats = {"cases": 0, "runs": 0, "flagged_runs": 0}
    by_key = {}
    slow = []

    def pick_seed(rng):
        # Deployments are few but matter: give them a fixed share.
        r = rng.random()
        if r < 0.25 and not args.only:
            return synthetic
        if r < 0.45 and deployment_seeds:
            return rng.choice(deployment_seeds)
        if r < 0.5 and optdecl_seeds:
            return rng.choice(optdecl_seeds)
        return rng.choice(expr_seeds or seeds)

    def one(case_no):
        rng = random.Random("%d:%d" % (args.seed, case_no))
        seed = pick_seed(rng)
        data, mutations = mutator.mutate(rng, seed)
        case_dir = os.path.join(work_root, "c%d" % case_no)
        try:
            timings = []
            found = execute_case(args, binary, seed, data, case_dir, timings)
            saved = []
            with lock:
                stats["cases"] += 1
                stats["runs"] += len(timings)
                slow.append((round(sum(t for t, _ in timings), 2), case_no, seed.label(), mutations))
                slow.sort(key=lambda x: -x[0])
                del slow[10:]
                for flags, run, cmd_kind in found:
                    stats["flagged_runs"] += 1
                    cat = flags[0][0]
                    sig = signature_line(run.stderr) if cat in ("panic", "bad-error-report", "signal", "oom-abort", "exit-status") else flags[0][1]
                    key = "%s|%s|%s" % (cat, cmd_kind, sig)
                    entry = by_key.setdefault(key, {"count": 0, "saved": []})
                    entry["count"] += 1
                    if len(entry["saved"]) < args.keep and case_no not in entry.setdefault("cases", []):
                        entry["cases"].append(case_no)
                        saved.append((flags, run, cmd_kind, entry))
            for flags, run, cmd_kind, entry in saved:
                _, d = save_finding(findings_dir, seed, data, mutations, flags, run, cmd_kind, case_dir, binary, args, args.seed, case_no)
                with lock:
                    entry["saved"].append(os.path.relpath(d, args.out))
        finally:
            shutil.rmtree(case_dir, ignore_errors=True)
        return case_no

    start = time.monotonic()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(one, i) for i in range(args.count)]
        for fut in concurrent.futures.as_completed(futures):
            fut.result()
            done += 1
            if args.progress and done % args.progress == 0:
                with lock:
                    print("%d/%d cases, %d flagged runs, %d distinct, %.0fs" % (
                        done, args.count, stats["flagged_runs"], len(by_key), time.monotonic() - start), file=sys.stderr)
    shutil.rmtree(work_root, ignore_errors=True)
    summary = {"seed": args.seed, "count": args.count, "elapsed": round(time.monotonic() - start, 1), **stats,
               "slowest_cases": slow, "findings": {k: v for k, v in sorted(by_key.items())}}
    with open(os.path.join(args.out, "summary-%d.json" % args.seed), "w") as f:
        json.dump(summary, f, indent=1)
    print("seed %d: %d cases, %d runs, %d flagged runs, %d distinct findings in %.0fs" % (
        args.seed, stats["cases"], stats["runs"], stats["flagged_runs"], len(by_key), summary["elapsed"]))
    for key, v in sorted(by_key.items()):
        print("  %4d  %s\n        %s" % (v["count"], key, v["saved"][0] if v["saved"] else ""))
    return 1 if by_key else 0


# ---------------------------------------------------------------------------
# Reduction


def main_reduce(args):
    """Delta-debug a finding's input: the smallest text that still gets
    the same category and signature from the same command."""
    d = os.path.abspath(args.reduce)
    info = json.load(open(os.path.join(d, "info.json")))
    binary = os.path.abspath(args.bin)
    seed_path = os.path.join(REPO, info["seed"]) if info["seed"] != "synthetic" else None
    kind = info["seed_kind"]
    data = open(os.path.join(d, info["case_file"]), "rb").read()
    seed = Seed(kind, seed_path, data)
    tmp = tempfile.mkdtemp(prefix="reduce-")
    counter = [0]
    target = (info["category"], info["signature"])

    def still_fails(candidate):
        counter[0] += 1
        case_dir = os.path.join(tmp, "r%d" % counter[0])
        try:
            case_file, modules_dir = prepare_case(seed, candidate, case_dir)
            scratch = os.path.join(case_dir, "io")
            os.makedirs(scratch)
            out_dir = os.path.join(case_dir, "out")
            for cmd_kind, tail, json_out in commands_for(kind, case_file, out_dir, modules_dir, REPO):
                if cmd_kind != info["command"] or len(tail) != len(info["argv_in_repro"]) or \
                        [a for a in tail if "/" not in a] != [a for a in info["argv_in_repro"] if "/" not in a and "$work" not in a]:
                    continue
                run = run_cmd([binary] + tail, os.path.dirname(case_file), base_env(case_dir), args.timeout, args.mem_mb, scratch)
                flags = judge(run, cmd_kind, json_out, out_dir if cmd_kind == "render" else None, False, args.timeout)
                if not flags:
                    return False
                cat = flags[0][0]
                sig = signature_line(run.stderr) if cat in ("panic", "bad-error-report", "signal", "oom-abort", "exit-status") else flags[0][1]
                return (cat, sig) == target or (cat == target[0] and cat in ("timeout", "render-leftover"))
            return False
        finally:
            shutil.rmtree(case_dir, ignore_errors=True)

    if not still_fails(data):
        print("the finding does not reproduce", file=sys.stderr)
        return 1

    def ddmin(units):
        n = 2
        while len(units) >= 2:
            chunk = max(1, len(units) // n)
            reduced = False
            for i in range(0, len(units), chunk):
                candidate = units[:i] + units[i + chunk:]
                if candidate and still_fails(b"".join(candidate)):
                    units = candidate
                    n = max(n - 1, 2)
                    reduced = True
                    break
            if not reduced:
                if n >= len(units):
                    break
                n = min(len(units), n * 2)
        return units

    units = ddmin(data.splitlines(keepends=True))
    text = b"".join(units).decode("utf-8", "surrogateescape")
    toks = [t.encode("utf-8", "surrogateescape") for _, t in tokenize(text)]
    units = ddmin(toks)
    reduced = b"".join(units)
    with open(os.path.join(d, "reduced-" + info["case_file"]), "wb") as f:
        f.write(reduced)
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d -> %d bytes after %d runs: %s" % (len(data), len(reduced), counter[0], os.path.join(d, "reduced-" + info["case_file"])))
    sys.stdout.buffer.write(reduced[:2000] + b"\n")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("NIX2DREAM", "/tmp/robust-target/release/nix2dream"),
                    help="the nix2dream binary (default: $NIX2DREAM or /tmp/robust-target/release/nix2dream)")
    ap.add_argument("--count", type=int, default=500, help="how many mutated cases (default 500)")
    ap.add_argument("--seed", type=int, default=1, help="random seed; a case is reproducible from (seed, case number)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="cases run at once")
    ap.add_argument("--out", default="/tmp/nix2dream-robust", help="where findings and summaries go")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds a single command may take")
    ap.add_argument("--mem-mb", type=int, default=4096, help="address-space cap per command (ulimit -v), MiB")
    ap.add_argument("--keep", type=int, default=3, help="reproducers kept per distinct finding")
    ap.add_argument("--only", help="only seeds whose path matches this regex")
    ap.add_argument("--progress", type=int, default=100, help="print progress every N cases (0: never)")
    ap.add_argument("--reduce", metavar="FINDING_DIR", help="reduce a saved finding instead of running cases")
    args = ap.parse_args()
    if args.reduce:
        sys.exit(main_reduce(args))
    sys.exit(main_run(args))


if __name__ == "__main__":
    main()
