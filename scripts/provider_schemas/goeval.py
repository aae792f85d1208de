"""A small partial evaluator for the Go that Terraform providers use to declare schemas.

It reads one Go module at one commit from a bare git repository (`git cat-file`), parses each
package with tree-sitter-go on demand, and evaluates expressions and function bodies far enough
to rebuild the `schema.Schema` / framework schema values. What it cannot evaluate becomes
`UNKNOWN`, and callers treat an unknown property as absent.
"""
from __future__ import annotations

import copy
import re
import subprocess
from functools import lru_cache

import tree_sitter_go
from tree_sitter import Language, Parser

GO = Language(tree_sitter_go.language())
PARSER = Parser(GO)


class _Unknown:
    def __repr__(self):
        return "UNKNOWN"

    def __bool__(self):
        return False


UNKNOWN = _Unknown()


class Struct(dict):
    """A composite literal of a named type: `schema.Schema{...}`. `t` is the type's last name."""

    def __init__(self, t, *a, **kw):
        super().__init__(*a, **kw)
        self.t = t

    def __deepcopy__(self, memo):
        s = Struct(self.t)
        for k, v in self.items():
            s[k] = copy.deepcopy(v, memo)
        return s


class Ext:
    """A value from a package outside the module (`schema.TypeString`): kept by name."""

    def __init__(self, pkg, name):
        self.pkg, self.name = pkg, name

    def __repr__(self):
        return f"{self.pkg}.{self.name}"

    def __eq__(self, o):
        return isinstance(o, Ext) and (o.pkg, o.name) == (self.pkg, self.name)

    def __hash__(self):
        return hash((self.pkg, self.name))


class Func:
    def __init__(self, pkg, node, recv=None):
        self.pkg, self.node, self.recv = pkg, node, recv


class Return(Exception):
    def __init__(self, value):
        self.value = value


class Break(Exception):
    pass


class Continue(Exception):
    pass


class Budget(Exception):
    pass


def text(node) -> str:
    return node.text.decode("utf-8", "replace")


class Module:
    """One Go module at one commit."""

    def __init__(self, git_dir: str, commit: str, extra: dict | None = None):
        self.git_dir, self.commit = git_dir, commit
        self.files = self._ls()
        gomod = self.read("go.mod") or ""
        m = re.search(r"^module\s+(\S+)", gomod, re.M)
        self.path = m.group(1) if m else ""
        self.packages: dict[str, Package] = {}
        # other modules (import path prefix -> Module), e.g. proxmox-api-go for Telmate
        self.extra = extra or {}
        self.steps = 0

    def _ls(self):
        out = subprocess.run(
            ["git", "--git-dir", self.git_dir, "ls-tree", "-r", "--name-only", self.commit],
            check=True, capture_output=True, text=True).stdout
        return [f for f in out.splitlines() if f.endswith(".go") and not f.endswith("_test.go")]

    def read(self, path):
        r = subprocess.run(["git", "--git-dir", self.git_dir, "show", f"{self.commit}:{path}"],
                           capture_output=True)
        return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None

    def package(self, import_path: str):
        for prefix, mod in self.extra.items():
            if import_path == prefix or import_path.startswith(prefix + "/"):
                return mod.package(import_path)
        if not (import_path == self.path or import_path.startswith(self.path + "/")):
            return None
        d = import_path[len(self.path):].lstrip("/")
        if d not in self.packages:
            files = [f for f in self.files if f.rsplit("/", 1)[0] == d or ("/" not in f and d == "")]
            self.packages[d] = Package(self, d, files) if files else None
        return self.packages[d]

    def package_dir(self, d: str):
        return self.package(f"{self.path}/{d}" if d else self.path)


class Package:
    def __init__(self, module: Module, d: str, files):
        self.module, self.dir = module, d
        self.consts: dict[str, object] = {}  # name -> node (evaluated lazily) or value
        self.vars: dict[str, object] = {}
        self.funcs: dict[str, Func] = {}
        self.methods: dict[tuple[str, str], Func] = {}
        self.types: set[str] = set()
        self.file_imports: dict[int, dict[str, str]] = {}
        self.node_file: dict[str, int] = {}
        self.cache: dict[str, object] = {}
        self.evaluating: set[str] = set()
        for i, f in enumerate(files):
            src = module.read(f)
            if src is None:
                continue
            tree = PARSER.parse(src.encode())
            self._index(tree.root_node, i)

    def _index(self, root, fi):
        imports = {}
        for decl in root.children:
            if decl.type == "import_declaration":
                for spec in _descend(decl, "import_spec"):
                    path = text(spec.child_by_field_name("path")).strip('"`')
                    name = spec.child_by_field_name("name")
                    alias = text(name) if name is not None else path.rsplit("/", 1)[-1]
                    if re.fullmatch(r"v\d+", alias):
                        alias = path.rsplit("/", 2)[-2]
                    alias = alias.replace("-", "_")
                    imports[alias] = path
            elif decl.type == "const_declaration":
                prev_value, iota = None, 0
                for spec in [c for c in decl.children if c.type == "const_spec"]:
                    names = [text(n) for n in spec.children_by_field_name("name")]
                    value = spec.child_by_field_name("value")
                    if value is not None:
                        prev_value, iota = value, 0 if prev_value is None else iota
                    for j, n in enumerate(names):
                        self.consts[n] = ("const", prev_value, iota, j, fi)
                    iota += 1
            elif decl.type == "var_declaration":
                for spec in _descend(decl, "var_spec"):
                    names = [text(n) for n in spec.children_by_field_name("name")]
                    value = spec.child_by_field_name("value")
                    for j, n in enumerate(names):
                        self.vars[n] = ("var", value, 0, j, fi)
            elif decl.type == "type_declaration":
                for spec in _descend(decl, "type_spec") + _descend(decl, "type_alias"):
                    n = spec.child_by_field_name("name")
                    if n is not None:
                        self.types.add(text(n))
            elif decl.type == "function_declaration":
                n = text(decl.child_by_field_name("name"))
                self.funcs[n] = Func(self, decl)
                self.node_file[n] = fi
            elif decl.type == "method_declaration":
                recv = decl.child_by_field_name("receiver")
                rt = re.sub(r"[^A-Za-z0-9_ ]", " ", text(recv)).split()[-1]
                n = text(decl.child_by_field_name("name"))
                self.methods[(rt, n)] = Func(self, decl, rt)
                self.node_file[f"{rt}.{n}"] = fi
        self.file_imports[fi] = imports

    def imports_of(self, fi):
        return self.file_imports.get(fi, {})

    def lookup(self, name, ev):
        """Value of a package-level const or var."""
        if name in self.cache:
            return self.cache[name]
        entry = self.consts.get(name) or self.vars.get(name)
        if entry is None:
            return None
        if name in self.evaluating:
            return UNKNOWN
        self.evaluating.add(name)
        kind, node, iota, j, fi = entry
        try:
            if node is None:
                v = UNKNOWN
            else:
                vals = [c for c in node.children if c.is_named and c.type != "comment"]
                target = vals[j] if j < len(vals) else vals[0] if vals else None
                v = ev.eval(target, Env(self, fi, {"iota": iota})) if target is not None else UNKNOWN
        finally:
            self.evaluating.discard(name)
        self.cache[name] = v
        return v


def _descend(node, ty):
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == ty:
            out.append(n)
            continue
        stack.extend(reversed(n.children))
    return out


class Env:
    def __init__(self, pkg: Package, fi: int, scope=None, parent=None):
        self.pkg, self.fi = pkg, fi
        self.scope = scope if scope is not None else {}
        self.parent = parent

    def get(self, name):
        e = self
        while e is not None:
            if name in e.scope:
                return True, e.scope[name]
            e = e.parent
        return False, None

    def set(self, name, value):
        e = self
        while e is not None:
            if name in e.scope:
                e.scope[name] = value
                return
            e = e.parent
        self.scope[name] = value

    def child(self):
        return Env(self.pkg, self.fi, {}, self)


BUILTIN_EXT_CONSTS = {
    ("math", "MaxInt"): 2**63 - 1, ("math", "MaxInt32"): 2**31 - 1, ("math", "MaxInt64"): 2**63 - 1,
    ("math", "MaxUint16"): 65535, ("math", "MaxInt16"): 32767,
}


class Evaluator:
    def __init__(self, max_steps=3_000_000):
        self.max_steps = max_steps
        self.steps = 0

    def tick(self):
        self.steps += 1
        if self.steps > self.max_steps:
            raise Budget()

    # ---------- functions
    def call_func(self, f: Func, args, recv_value=None, depth=0):
        if depth > 40:
            return UNKNOWN
        fi = f.pkg.node_file.get(text(f.node.child_by_field_name("name")) if f.recv is None
                                 else f"{f.recv}.{text(f.node.child_by_field_name('name'))}", 0)
        env = Env(f.pkg, fi, {})
        env.depth = depth
        if f.recv is not None:
            recv = f.node.child_by_field_name("receiver")
            for p in _descend(recv, "parameter_declaration"):
                n = p.child_by_field_name("name")
                if n is not None:
                    env.scope[text(n)] = recv_value if recv_value is not None else Struct(f.recv)
        params = f.node.child_by_field_name("parameters")
        i = 0
        for p in params.children:
            if p.type == "parameter_declaration":
                names = p.children_by_field_name("name")
                for n in names or [None]:
                    if n is not None:
                        env.scope[text(n)] = args[i] if i < len(args) else UNKNOWN
                    i += 1
            elif p.type == "variadic_parameter_declaration":
                n = p.child_by_field_name("name")
                if n is not None:
                    env.scope[text(n)] = list(args[i:])
        body = f.node.child_by_field_name("body")
        if body is None:
            return UNKNOWN
        try:
            self.exec_block(body, env)
        except Return as r:
            return r.value
        return None

    # ---------- statements
    def exec_block(self, block, env):
        for st in block.children:
            if st.is_named:
                self.exec(st, env)

    def exec(self, st, env):
        self.tick()
        t = st.type
        if t in ("comment", "empty_statement", "labeled_statement"):
            return
        if t == "statement_list":
            for c in st.children:
                if c.is_named:
                    self.exec(c, env)
        elif t == "block":
            self.exec_block(st, env.child())
        elif t == "expression_statement":
            self.eval(st.children[0], env)
        elif t == "short_var_declaration":
            left = [c for c in st.child_by_field_name("left").children if c.is_named]
            right = [c for c in st.child_by_field_name("right").children if c.is_named]
            vals = self.eval_multi(right, len(left), env)
            for n, v in zip(left, vals):
                if text(n) != "_":
                    env.scope[text(n)] = v
        elif t == "var_declaration":
            for spec in _descend(st, "var_spec"):
                names = [text(n) for n in spec.children_by_field_name("name")]
                value = spec.child_by_field_name("value")
                ty = spec.child_by_field_name("type")
                if value is not None:
                    vals = self.eval_multi([c for c in value.children if c.is_named], len(names), env)
                else:
                    vals = [self.zero(ty, env) for _ in names]
                for n, v in zip(names, vals):
                    env.scope[n] = v
        elif t == "assignment_statement":
            left = [c for c in st.child_by_field_name("left").children if c.is_named]
            right = [c for c in st.child_by_field_name("right").children if c.is_named]
            op = text(st.child_by_field_name("operator"))
            vals = self.eval_multi(right, len(left), env)
            for n, v in zip(left, vals):
                if op != "=":
                    cur = self.eval(n, env)
                    v = self.binop(op[:-1], cur, v)
                self.assign(n, v, env)
        elif t == "inc_statement" or t == "dec_statement":
            n = st.children[0]
            cur = self.eval(n, env)
            if isinstance(cur, int):
                self.assign(n, cur + (1 if t == "inc_statement" else -1), env)
        elif t == "return_statement":
            vals = [c for c in st.children if c.is_named]
            if not vals:
                raise Return(None)
            exprs = [c for c in vals[0].children if c.is_named] if vals[0].type == "expression_list" else vals
            v = self.eval(exprs[0], env) if exprs else None
            raise Return(v)
        elif t == "if_statement":
            env2 = env.child()
            init = st.child_by_field_name("initializer")
            if init is not None:
                self.exec(init, env2)
            cond = self.eval(st.child_by_field_name("condition"), env2)
            cons = st.child_by_field_name("consequence")
            alt = st.child_by_field_name("alternative")
            if cond is True:
                self.exec(cons, env2)
            elif cond is False:
                if alt is not None:
                    self.exec(alt, env2)
            else:
                # unknown condition: the schema code of providers only branches on runtime facts
                # (errors, data source vs resource) around schema writes; take the first branch that
                # does not return an error.
                try:
                    self.exec(cons, env2)
                except Return as r:
                    if r.value is not None and not (isinstance(r.value, Struct) and r.value.t.endswith("Error")):
                        raise
                if alt is not None and alt.type != "if_statement":
                    pass
        elif t == "for_statement":
            self.exec_for(st, env)
        elif t in ("expression_switch_statement",):
            self.exec_switch(st, env)
        elif t == "type_switch_statement":
            self.exec_type_switch(st, env)
        elif t in ("select_statement", "go_statement", "defer_statement",
                   "send_statement", "goto_statement", "fallthrough_statement", "const_declaration",
                   "type_declaration"):
            return
        elif t == "break_statement":
            raise Break()
        elif t == "continue_statement":
            raise Continue()
        else:
            return

    def exec_for(self, st, env):
        env2 = env.child()
        clause = next((c for c in st.children if c.type in ("for_clause", "range_clause")), None)
        body = st.child_by_field_name("body")
        if clause is None:
            return  # `for { }` or `for cond { }`: not schema code
        if clause.type == "for_clause":
            init = clause.child_by_field_name("initializer")
            cond = clause.child_by_field_name("condition")
            upd = clause.child_by_field_name("update")
            if init is not None:
                self.exec(init, env2)
            for _ in range(10_000):
                if cond is not None and self.eval(cond, env2) is not True:
                    break
                try:
                    self.exec_block(body, env2.child())
                except Break:
                    break
                except Continue:
                    pass
                if upd is not None:
                    self.exec(upd, env2)
            return
        left = clause.child_by_field_name("left")
        right = self.eval(clause.child_by_field_name("right"), env2)
        names = [text(c) for c in left.children if c.is_named] if left is not None else []
        if isinstance(right, dict):
            items = sorted(right.items(), key=lambda kv: str(kv[0]))
        elif isinstance(right, list):
            items = list(enumerate(right))
        elif isinstance(right, int):
            items = [(i, i) for i in range(right)]
        elif isinstance(right, str):
            items = list(enumerate(right))
        else:
            return
        for k, v in items:
            e = env2.child()
            if names:
                e.scope[names[0]] = k
            if len(names) > 1:
                e.scope[names[1]] = v
            try:
                self.exec_block(body, e)
            except Break:
                break
            except Continue:
                pass

    def exec_switch(self, st, env):
        env2 = env.child()
        init = st.child_by_field_name("initializer")
        if init is not None:
            self.exec(init, env2)
        val_node = st.child_by_field_name("value")
        val = self.eval(val_node, env2) if val_node is not None else True
        default = None
        for case in st.children:
            if case.type == "default_case":
                default = case
            elif case.type == "expression_case":
                vals = case.child_by_field_name("value")
                for v in [c for c in vals.children if c.is_named]:
                    cv = self.eval(v, env2)
                    if cv is not UNKNOWN and val is not UNKNOWN and cv == val:
                        self.exec_case(case, env2)
                        return
        if default is not None:
            self.exec_case(default, env2)

    def exec_type_switch(self, st, env):
        env2 = env.child()
        init = st.child_by_field_name("initializer")
        if init is not None:
            self.exec(init, env2)
        alias = st.child_by_field_name("alias")
        val = self.eval(st.child_by_field_name("value"), env2)
        tname = val.t if isinstance(val, Struct) else None
        chosen = None
        for case in st.children:
            if case.type == "type_case":
                for tn in case.children_by_field_name("type"):
                    if tname is not None and text(tn).lstrip("*").rsplit(".", 1)[-1] == tname:
                        chosen = case
                        break
            elif case.type == "default_case" and chosen is None:
                default = case
            if chosen is not None:
                break
        else:
            chosen = locals().get("default")
        if chosen is None:
            return
        e = env2.child()
        if alias is not None:
            for a in [c for c in alias.children if c.is_named] or [alias]:
                e.scope[text(a)] = copy.deepcopy(val) if isinstance(val, (dict, list)) else val
        try:
            for c in chosen.children:
                if c.is_named and c not in chosen.children_by_field_name("type"):
                    self.exec(c, e)
        except Break:
            pass

    def exec_case(self, case, env):
        try:
            for c in case.children:
                if c.is_named and c.type not in ("expression_list",) and c != case.child_by_field_name("value"):
                    self.exec(c, env)
        except Break:
            pass

    def assign(self, n, v, env):
        t = n.type
        if t == "identifier":
            if text(n) != "_":
                env.set(text(n), v)
        elif t == "index_expression":
            obj = self.eval(n.child_by_field_name("operand"), env)
            k = self.eval(n.child_by_field_name("index"), env)
            if isinstance(obj, dict) and k is not UNKNOWN:
                obj[k] = v
            elif isinstance(obj, list) and isinstance(k, int) and 0 <= k < len(obj):
                obj[k] = v
        elif t == "selector_expression":
            obj = self.eval(n.child_by_field_name("operand"), env)
            f = text(n.child_by_field_name("field"))
            if isinstance(obj, dict):
                obj[f] = v
        elif t == "unary_expression":  # *p = v
            obj = self.eval(n.child_by_field_name("operand"), env)
            if isinstance(obj, dict) and isinstance(v, dict):
                obj.clear()
                obj.update(v)
        elif t == "parenthesized_expression":
            self.assign(n.children[1], v, env)

    def eval_multi(self, exprs, n, env):
        if len(exprs) == 1 and n > 1:
            v = self.eval(exprs[0], env)
            if isinstance(v, tuple):
                return list(v) + [UNKNOWN] * (n - len(v))
            return [v] + [UNKNOWN] * (n - 1)
        return [self.eval(e, env) for e in exprs]

    def zero(self, ty, env):
        if ty is None:
            return UNKNOWN
        s = text(ty)
        if s.startswith("map["):
            return {}
        if s.startswith("[]"):
            return []
        if s in ("int", "int64", "int32", "uint", "float64"):
            return 0
        if s == "string":
            return ""
        if s == "bool":
            return False
        last = s.lstrip("*").rsplit(".", 1)[-1]
        return Struct(last) if not s.startswith("*") else None

    # ---------- expressions
    def eval(self, n, env):
        self.tick()
        if n is None:
            return UNKNOWN
        t = n.type
        if t == "interpreted_string_literal":
            return _go_string(text(n))
        if t == "raw_string_literal":
            return text(n)[1:-1]
        if t == "int_literal":
            try:
                return int(text(n).replace("_", ""), 0)
            except ValueError:
                return UNKNOWN
        if t == "float_literal":
            try:
                return float(text(n).replace("_", ""))
            except ValueError:
                return UNKNOWN
        if t == "true":
            return True
        if t == "false":
            return False
        if t == "nil":
            return None
        if t == "iota":
            found, v = env.get("iota")
            return v if found else 0
        if t == "identifier":
            name = text(n)
            found, v = env.get(name)
            if found:
                return v
            v = env.pkg.lookup(name, self)
            if v is not None:
                return v
            if name in env.pkg.funcs:
                return env.pkg.funcs[name]
            return UNKNOWN
        if t == "parenthesized_expression":
            return self.eval(n.children[1], env)
        if t == "selector_expression":
            return self.eval_selector(n, env)
        if t == "composite_literal":
            return self.eval_composite(n, env)
        if t == "unary_expression":
            op = text(n.child_by_field_name("operator"))
            v = self.eval(n.child_by_field_name("operand"), env)
            if op == "&":
                return v
            if op == "*":
                return copy.deepcopy(v) if isinstance(v, (dict, list)) else v
            if op == "!":
                return (not v) if isinstance(v, bool) else UNKNOWN
            if op == "-":
                return -v if isinstance(v, (int, float)) and not isinstance(v, bool) else UNKNOWN
            return UNKNOWN
        if t == "binary_expression":
            op = text(n.child_by_field_name("operator"))
            a = self.eval(n.child_by_field_name("left"), env)
            if op == "&&" and a is False:
                return False
            if op == "||" and a is True:
                return True
            b = self.eval(n.child_by_field_name("right"), env)
            return self.binop(op, a, b)
        if t == "call_expression":
            return self.eval_call(n, env)
        if t == "index_expression":
            obj = self.eval(n.child_by_field_name("operand"), env)
            k = self.eval(n.child_by_field_name("index"), env)
            if isinstance(obj, dict):
                return obj.get(k, UNKNOWN)
            if isinstance(obj, (list, str)) and isinstance(k, int) and 0 <= k < len(obj):
                return obj[k]
            return UNKNOWN
        if t == "func_literal":
            return Func(env.pkg, n)
        if t == "type_conversion_expression":
            return self.eval(n.child_by_field_name("operand"), env)
        if t == "type_assertion_expression":
            return self.eval(n.child_by_field_name("operand"), env)
        if t == "slice_expression":
            obj = self.eval(n.child_by_field_name("operand"), env)
            return obj if isinstance(obj, (list, str)) else UNKNOWN
        return UNKNOWN

    def binop(self, op, a, b):
        if a is UNKNOWN or b is UNKNOWN or isinstance(a, (Ext, Func)) or isinstance(b, (Ext, Func)):
            if op in ("==", "!=") and isinstance(a, Ext) and isinstance(b, Ext):
                return (a == b) if op == "==" else (a != b)
            return UNKNOWN
        try:
            if op == "+":
                if isinstance(a, str) and isinstance(b, str):
                    return a + b
                if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                    return a + b
                return UNKNOWN
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a // b if isinstance(a, int) and isinstance(b, int) else a / b
            if op == "%":
                return a % b
            if op == "<<":
                return a << b
            if op == ">>":
                return a >> b
            if op == "|":
                return a | b
            if op == "&":
                return a & b
            if op == "==":
                return a == b
            if op == "!=":
                return a != b
            if op == "<":
                return a < b
            if op == "<=":
                return a <= b
            if op == ">":
                return a > b
            if op == ">=":
                return a >= b
            if op == "&&":
                return a and b if isinstance(a, bool) and isinstance(b, bool) else UNKNOWN
            if op == "||":
                return a or b if isinstance(a, bool) and isinstance(b, bool) else UNKNOWN
        except Exception:
            return UNKNOWN
        return UNKNOWN

    def pkg_of(self, alias, env):
        path = env.pkg.imports_of(env.fi).get(alias)
        if path is None:
            return None, None
        return env.pkg.module.package(path), path

    def eval_selector(self, n, env):
        operand = n.child_by_field_name("operand")
        field = text(n.child_by_field_name("field"))
        if operand.type == "identifier":
            name = text(operand)
            found, v = env.get(name)
            if not found and env.pkg.lookup(name, self) is None and name not in env.pkg.funcs:
                pkg, path = self.pkg_of(name, env)
                if pkg is not None:
                    v = pkg.lookup(field, self)
                    if v is not None:
                        return v
                    if field in pkg.funcs:
                        return pkg.funcs[field]
                    return UNKNOWN
                if path is not None:
                    return BUILTIN_EXT_CONSTS.get((name, field), Ext(path.rsplit("/", 1)[-1], field))
        v = self.eval(operand, env)
        if isinstance(v, dict):
            if field in v:
                return v[field]
            if isinstance(v, Struct):
                m = self.find_method(v.t, field, env)
                if m is not None:
                    return ("bound", m, v)
                if field in env.pkg.types:
                    # an embedded struct (`type resourceShort struct{ Resource }`)
                    v[field] = Struct(field)
                    return v[field]
            return UNKNOWN
        return UNKNOWN

    def find_method(self, tname, mname, env):
        f = env.pkg.methods.get((tname, mname))
        if f is not None:
            return f
        for pkg in env.pkg.module.packages.values():
            if pkg is not None and (tname, mname) in pkg.methods:
                return pkg.methods[(tname, mname)]
        return None

    def eval_composite(self, n, env):
        ty = n.child_by_field_name("type")
        body = n.child_by_field_name("body")
        tys = text(ty) if ty is not None else ""
        elems = [c for c in body.children if c.is_named and c.type != "comment"]
        if tys.startswith("map[") or (ty is not None and ty.type == "map_type"):
            out = {}
            for e in elems:
                if e.type == "keyed_element":
                    kids = [c for c in e.children if c.is_named and c.type != "comment"]
                    k = self.eval(_lit_value(kids[0]), env)
                    v = self.eval_elem(kids[1], env, _map_value_type(ty))
                    if k is not UNKNOWN:
                        out[k] = v
            return out
        if tys.startswith("[") or (ty is not None and ty.type in ("slice_type", "array_type", "implicit_length_array_type")):
            elt = ty.child_by_field_name("element") if ty is not None else None
            return [self.eval_elem(e, env, elt) for e in elems if e.type != "keyed_element"]
        name = re.sub(r"\[.*\]$", "", tys).lstrip("*").rsplit(".", 1)[-1]
        s = Struct(name)
        for e in elems:
            if e.type == "keyed_element":
                kids = [c for c in e.children if c.is_named and c.type != "comment"]
                s[text(_lit_value(kids[0]))] = self.eval_elem(kids[1], env, None)
        return s

    def eval_elem(self, e, env, elem_type):
        e = _lit_value(e)
        if e.type == "literal_value":
            # elided type: `{ Type: ... }` inside map[string]*schema.Schema
            fake_t = text(elem_type).lstrip("*").rsplit(".", 1)[-1] if elem_type is not None else "Struct"
            if elem_type is not None and (text(elem_type).startswith("map[") or text(elem_type).startswith("[]")):
                return UNKNOWN
            s = Struct(fake_t)
            for k in [c for c in e.children if c.is_named and c.type != "comment"]:
                if k.type == "keyed_element":
                    kids = [c for c in k.children if c.is_named and c.type != "comment"]
                    s[text(_lit_value(kids[0]))] = self.eval_elem(kids[1], env, None)
            return s
        return self.eval(e, env)

    def eval_call(self, n, env):
        fn = n.child_by_field_name("function")
        args_node = n.child_by_field_name("arguments")
        arg_nodes = [c for c in args_node.children if c.is_named and c.type != "comment"] if args_node else []
        fname = text(fn)
        # builtins
        if fname == "append":
            base = self.eval(arg_nodes[0], env) if arg_nodes else []
            base = list(base) if isinstance(base, list) else []
            for a in arg_nodes[1:]:
                v = self.eval(a, env)
                if a.type == "variadic_argument" or text(a).endswith("..."):
                    base.extend(v if isinstance(v, list) else [])
                else:
                    base.append(v)
            return base
        if fname == "make":
            tys = text(arg_nodes[0]) if arg_nodes else ""
            return {} if tys.startswith("map[") else []
        if fname == "len":
            v = self.eval(arg_nodes[0], env)
            return len(v) if isinstance(v, (list, dict, str)) else UNKNOWN
        if fname == "new":
            return Struct(text(arg_nodes[0]).rsplit(".", 1)[-1])
        if fname in ("delete",):
            m = self.eval(arg_nodes[0], env)
            k = self.eval(arg_nodes[1], env)
            if isinstance(m, dict):
                m.pop(k, None)
            return None
        if fname in ("string", "int", "int64", "uint", "float64", "int32", "uint32", "uint8", "uint16",
                     "uint64", "int8", "int16", "float32", "byte", "rune") or self.is_type(fn, env):
            if not arg_nodes:
                return UNKNOWN
            v = self.eval(arg_nodes[0], env)
            if fname == "string" and isinstance(v, int):
                return chr(v)
            return v
        if fname in ("strconv.Itoa", "strconv.FormatInt", "fmt.Sprint"):
            v = self.eval(arg_nodes[0], env)
            return str(v) if isinstance(v, (int, str)) and not isinstance(v, bool) else UNKNOWN
        if fname in ("fmt.Sprintf", "fmt.Errorf"):
            vals = [self.eval(a, env) for a in arg_nodes]
            if fname == "fmt.Errorf":
                return Struct("Error")
            return _sprintf(vals)
        if fname in ("strings.ToLower", "strings.ToUpper", "strings.TrimSpace"):
            v = self.eval(arg_nodes[0], env)
            if not isinstance(v, str):
                return UNKNOWN
            return {"strings.ToLower": v.lower(), "strings.ToUpper": v.upper()}.get(fname, v.strip())
        if fname in ("strings.Join",):
            v = self.eval(arg_nodes[0], env)
            sep = self.eval(arg_nodes[1], env)
            if isinstance(v, list) and isinstance(sep, str) and all(isinstance(x, str) for x in v):
                return sep.join(v)
            return UNKNOWN
        if fname in ("maps.Copy",):
            dst = self.eval(arg_nodes[0], env)
            src = self.eval(arg_nodes[1], env)
            if isinstance(dst, dict) and isinstance(src, dict):
                dst.update(src)
            return None
        if fname in ("maps.Clone",):
            src = self.eval(arg_nodes[0], env)
            return dict(src) if isinstance(src, dict) else UNKNOWN
        f = self.eval(fn, env) if fn.type != "parenthesized_expression" else self.eval(fn.children[1], env)
        args = []
        for a in arg_nodes:
            v = self.eval(a, env)
            if a.type == "variadic_argument" and isinstance(v, list):
                args.extend(v)
            else:
                args.append(v)
        depth = getattr(env, "depth", 0)
        if isinstance(f, Func):
            if f.node.type == "func_literal":
                return self.call_literal(f, args, env, depth + 1)
            return self.call_func(f, args, depth=depth + 1)
        if isinstance(f, tuple) and f and f[0] == "bound":
            return self.call_func(f[1], args, recv_value=f[2], depth=depth + 1)
        if isinstance(f, Ext):
            # a library call: keep its name and arguments, the schema reader models what it needs
            return Struct(f"call:{f.pkg}.{f.name}", {"args": args})
        if fn.type == "selector_expression":
            # method on an external value: s.Set(...), etc.
            return UNKNOWN
        return UNKNOWN

    def is_type(self, fn, env):
        """`Name(x)` or `pkg.Name(x)` where Name is a declared type: a conversion."""
        if fn.type == "identifier":
            found, _ = env.get(text(fn))
            return not found and text(fn) in env.pkg.types
        if fn.type == "selector_expression" and fn.child_by_field_name("operand").type == "identifier":
            pkg, _ = self.pkg_of(text(fn.child_by_field_name("operand")), env)
            return pkg is not None and text(fn.child_by_field_name("field")) in pkg.types
        return False

    def call_literal(self, f, args, env, depth):
        env2 = Env(env.pkg, env.fi, {}, env)
        env2.depth = depth
        params = f.node.child_by_field_name("parameters")
        i = 0
        for p in params.children:
            if p.type == "parameter_declaration":
                for nn in p.children_by_field_name("name"):
                    env2.scope[text(nn)] = args[i] if i < len(args) else UNKNOWN
                    i += 1
        try:
            self.exec_block(f.node.child_by_field_name("body"), env2)
        except Return as r:
            return r.value
        return None


def _lit_value(n):
    if n.type == "literal_element":
        kids = [c for c in n.children if c.is_named and c.type != "comment"]
        return kids[0] if kids else n
    return n


def _map_value_type(ty):
    if ty is None:
        return None
    v = ty.child_by_field_name("value")
    return v


_ESC = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "r": "\r"}


def _go_string(s):
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESC.get(m.group(1), m.group(1)), body)


def _sprintf(vals):
    if not vals or not isinstance(vals[0], str):
        return UNKNOWN
    fmt, args = vals[0], list(vals[1:])
    out, i = [], 0
    for m in re.finditer(r"%(%|[-+# 0-9.]*[a-zA-Z])|[^%]+", fmt):
        tok = m.group(0)
        if not tok.startswith("%"):
            out.append(tok)
        elif tok == "%%":
            out.append("%")
        else:
            if i >= len(args) or args[i] is UNKNOWN or isinstance(args[i], (dict, list, Ext)):
                return UNKNOWN
            a = args[i]
            i += 1
            out.append(f'"{a}"' if tok.endswith("q") else str(a).lower() if isinstance(a, bool) else str(a))
    return "".join(out)


@lru_cache(maxsize=None)
def git_tags(git_dir):
    out = subprocess.run(["git", "--git-dir", git_dir, "tag"], check=True, capture_output=True,
                         text=True).stdout
    return out.split()
