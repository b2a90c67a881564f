// A small evaluator for the Go text/template subset that kind and minikube pass to
// `docker ... --format`: fields (.A.B), `json`, `index`, `printf`, `eq`, `len`, `join`,
// `if`/`with`/`range` … `else` … `end`, parenthesised pipelines and methods such as
// `.Label "key"` on `docker ps` rows. Values print the way Go prints them (maps as
// map[k:v], nil as <no value>), and errors carry Go's wording where the callers match it
// ("error calling index: index of untyped nil").

export class TemplateError extends Error {}

/** Marks a map's zero value, which `index` returns for a missing key (Go: "" for map[string]string, nil for slices). */
export const ZERO = Symbol('zero');
export function typedMap(obj, zero) {
  Object.defineProperty(obj, ZERO, { value: zero, enumerable: false });
  return obj;
}

/** Splits a template into text and {{action}} pieces. */
function lex(src) {
  const out = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    if (open > i) out.push({ text: src.slice(i, open) });
    const close = src.indexOf('}}', open);
    if (close < 0) throw new TemplateError(`template: :1: unclosed action`);
    let body = src.slice(open + 2, close);
    let trimLeft = false;
    let trimRight = false;
    if (body.startsWith('-')) {
      trimLeft = true;
      body = body.slice(1);
    }
    if (body.endsWith('-')) {
      trimRight = true;
      body = body.slice(0, -1);
    }
    out.push({ action: body.trim(), trimLeft, trimRight, raw: src.slice(open, close + 2) });
    i = close + 2;
  }
  // Apply {{- and -}} whitespace trimming.
  for (let k = 0; k < out.length; k++) {
    const t = out[k];
    if (t.action === undefined) continue;
    if (t.trimLeft && out[k - 1]?.text !== undefined) out[k - 1].text = out[k - 1].text.replace(/\s+$/, '');
    if (t.trimRight && out[k + 1]?.text !== undefined) out[k + 1].text = out[k + 1].text.replace(/^\s+/, '');
  }
  return out;
}

/** Tokens of one action: strings, numbers, identifiers, fields, parentheses. */
function tokens(s) {
  const out = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\') {
          const n = s[j + 1];
          v += n === 't' ? '\t' : n === 'n' ? '\n' : n;
          j += 2;
        } else v += s[j++];
      }
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (c === '(' || c === ')' || c === '|') {
      out.push({ t: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s()|]/.test(s[j])) j++;
      const w = s.slice(i, j);
      if (/^-?\d+$/.test(w)) out.push({ t: 'num', v: Number(w) });
      else if (w.startsWith('.')) out.push({ t: 'field', v: w === '.' ? [] : w.slice(1).split('.') });
      else out.push({ t: 'ident', v: w });
      i = j;
    }
  }
  return out;
}

/** Parses `a b c | d e` into a pipeline of commands; each argument may be (pipeline).field. */
function parsePipeline(toks, pos = { i: 0 }, stop) {
  const cmds = [];
  let cur = [];
  while (pos.i < toks.length) {
    const tk = toks[pos.i];
    if (tk.t === stop) break;
    if (tk.t === '|') {
      cmds.push(cur);
      cur = [];
      pos.i++;
      continue;
    }
    if (tk.t === '(') {
      pos.i++;
      const inner = parsePipeline(toks, pos, ')');
      pos.i++; // ')'
      let node = { k: 'pipe', p: inner };
      // (x).Field
      const next = toks[pos.i];
      if (next && next.t === 'field' && next.v.length) {
        node = { k: 'chain', base: node, path: next.v };
        pos.i++;
      }
      cur.push(node);
      continue;
    }
    if (tk.t === 'str' || tk.t === 'num') cur.push({ k: 'lit', v: tk.v });
    else if (tk.t === 'field') cur.push({ k: 'field', path: tk.v });
    else if (tk.t === 'ident') {
      if (tk.v === 'true' || tk.v === 'false') cur.push({ k: 'lit', v: tk.v === 'true' });
      else if (tk.v === 'nil') cur.push({ k: 'lit', v: null });
      else cur.push({ k: 'fn', name: tk.v });
    }
    pos.i++;
  }
  cmds.push(cur);
  return cmds;
}

const isMissing = (v) => v === undefined || v === null;

function goString(v) {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

function sprintf(fmt, args) {
  let n = 0;
  return fmt.replace(/%[sdvq%]/g, (m) => {
    if (m === '%%') return '%';
    const a = args[n++];
    if (m === '%q') return JSON.stringify(goString(a));
    return goString(a);
  });
}

function truthy(v) {
  if (isMissing(v)) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function field(base, path, raw) {
  let v = base;
  for (const name of path) {
    if (isMissing(v)) throw new TemplateError(`template: :1: executing "" at <${raw}>: nil pointer evaluating interface {}.${name}`);
    v = v[name];
  }
  return v;
}

const FUNCS = {
  json: (v) => JSON.stringify(v === undefined ? null : v),
  index: (v, ...keys) => {
    for (const k of keys) {
      if (isMissing(v)) throw new TemplateError('error calling index: index of untyped nil');
      if (Array.isArray(v)) {
        if (k >= v.length) throw new TemplateError(`error calling index: index out of range: ${k}`);
        v = v[k];
      } else v = Object.hasOwn(v, k) ? v[k] : v[ZERO];
    }
    return v;
  },
  printf: (fmt, ...args) => sprintf(fmt, args),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  len: (v) => (isMissing(v) ? 0 : Array.isArray(v) || typeof v === 'string' ? v.length : Object.keys(v).length),
  join: (arr, sep) => (arr ?? []).join(sep),
  lower: (s) => String(s).toLowerCase(),
  not: (v) => !truthy(v),
};

/** Go names the failing command in its error: `<index (index .A "k") 0>`. */
function show(node) {
  switch (node.k) {
    case 'lit':
      return typeof node.v === 'string' ? JSON.stringify(node.v) : String(node.v);
    case 'field':
      return `.${node.path.join('.')}`;
    case 'fn':
      return node.name;
    case 'pipe':
      return `(${node.p.map((c) => c.map(show).join(' ')).join(' | ')})`;
    case 'chain':
      return `${show(node.base)}.${node.path.join('.')}`;
  }
  return '?';
}

function evalArg(node, dot, raw) {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'field':
      return field(dot, node.path, raw);
    case 'pipe':
      return evalPipeline(node.p, dot, raw);
    case 'chain':
      return field(evalArg(node.base, dot, raw), node.path, raw);
    case 'fn':
      return callFn(node.name, [], dot, raw);
  }
  throw new TemplateError(`template: bad node ${node.k}`);
}

function callFn(name, args, _dot, raw) {
  const f = FUNCS[name];
  if (!f) throw new TemplateError(`template: :1: function "${name}" not defined`);
  try {
    return f(...args);
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(`template: :1:3: executing "" at <${raw}>: ${e.message}`);
    throw e;
  }
}

function evalCommand(cmd, dot, raw, piped, hasPiped) {
  const [head, ...rest] = cmd;
  if (!head) return piped;
  if (head.k === 'fn') {
    const args = rest.map((a) => evalArg(a, dot, raw));
    if (hasPiped) args.push(piped);
    return callFn(head.name, args, dot, cmd.map(show).join(' '));
  }
  if (head.k === 'field' && rest.length) {
    // A method such as .Label "key": the field holds a function.
    const fnv = field(dot, head.path, raw);
    if (typeof fnv === 'function') return fnv(...rest.map((a) => evalArg(a, dot, raw)));
  }
  const v = evalArg(head, dot, raw);
  return typeof v === 'function' ? v() : v;
}

function evalPipeline(cmds, dot, raw) {
  let v;
  let has = false;
  for (const c of cmds) {
    v = evalCommand(c, dot, raw, v, has);
    has = true;
  }
  return v;
}

/** Builds a tree of text, output and control nodes from the lexed pieces. */
function parse(pieces) {
  const root = { children: [] };
  const stack = [root];
  for (const p of pieces) {
    const top = stack[stack.length - 1];
    const target = top.inElse ? top.elseChildren : top.children;
    if (p.text !== undefined) {
      target.push({ text: p.text });
      continue;
    }
    const a = p.action;
    const m = /^(if|with|range)\s+(.*)$/s.exec(a);
    if (m) {
      const node = { ctl: m[1], pipe: parsePipeline(tokens(m[2])), raw: m[2], children: [], elseChildren: [], inElse: false };
      target.push(node);
      stack.push(node);
    } else if (a === 'else') {
      top.inElse = true;
    } else if (a === 'end') {
      stack.pop();
    } else if (a.startsWith('/*')) {
      // comment
    } else {
      target.push({ out: parsePipeline(tokens(a)), raw: a });
    }
  }
  if (stack.length !== 1) throw new TemplateError('template: :1: unexpected EOF');
  return root;
}

function run(node, dot) {
  let s = '';
  for (const c of node.children) {
    if (c.text !== undefined) s += c.text;
    else if (c.out) {
      const v = evalPipeline(c.out, dot, c.raw);
      s += goString(v);
    } else if (c.ctl) {
      const v = evalPipeline(c.pipe, dot, c.raw);
      if (c.ctl === 'range') {
        const items = isMissing(v)
          ? []
          : Array.isArray(v)
            ? v
            : Object.keys(v)
                .sort()
                .map((k) => v[k]);
        if (items.length) for (const it of items) s += run(c, it);
        else s += run({ children: c.elseChildren }, dot);
      } else if (truthy(v)) s += run(c, c.ctl === 'with' ? v : dot);
      else s += run({ children: c.elseChildren }, dot);
    }
  }
  return s;
}

/** Executes a Go template against a value; throws TemplateError with Go-like wording. */
export function execTemplate(src, dot) {
  return run(parse(lex(src)), dot);
}
