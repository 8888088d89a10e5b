// The /docs page's markup, style and script (DocsPage.swift assembles them). Plain ES2017
// and CSS, no library: the page must work offline and under a strict CSP (no inline event
// attributes, no style attributes; DOM built with createElement and textContent only).
enum DocsPageAssets {
    static let body = #"""
<header class="top">
  <div class="brand"><h1>crm-gateway</h1><span class="version" id="version"></span></div>
  <input id="search" type="search" placeholder="Filter operations: path, summary, operationId, tag" autocomplete="off" aria-label="Filter operations">
  <form class="key" id="keyform" autocomplete="off"><label for="apikey">API key</label> <input id="apikey" type="password" autocomplete="off" spellcheck="false" placeholder="optional: sent as Bearer"></form>
  <a class="raw" href="/openapi.yaml">openapi.yaml</a>
</header>
<div class="layout">
  <nav class="toc" id="toc" aria-label="Operations"></nav>
  <main id="main">
    <section class="intro">
      <p id="description"></p>
      <div class="bar"><span id="count"></span><span class="spacer"></span><button type="button" id="expand">Expand all</button><button type="button" id="collapse">Collapse all</button></div>
    </section>
    <div id="ops"><noscript>This page needs JavaScript. The contract itself is at <a href="/openapi.yaml">/openapi.yaml</a>.</noscript></div>
    <section id="schemas"></section>
  </main>
</div>

"""#

    static let style = #"""
:root{--bg:#f5f6f8;--card:#fff;--ink:#1c2230;--muted:#5d6677;--line:#dfe3ea;--soft:#eef1f6;--accent:#2c5bd4;
--get:#1f6feb;--post:#18864b;--put:#7b4fd6;--patch:#c05a00;--delete:#cf2234;--other:#57606a;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{scroll-padding-top:72px}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code{font:13px var(--mono);background:var(--soft);border-radius:4px;padding:1px 4px}
header.top{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;gap:12px 20px;align-items:center;padding:12px 24px;background:#18202f;color:#fff;box-shadow:0 1px 4px rgba(0,0,0,.25)}
.brand{display:flex;align-items:baseline;gap:10px}
.brand h1{margin:0;font-size:19px;letter-spacing:.2px}
.version{font:12px var(--mono);color:#b9c3d6}
#search{flex:1;min-width:220px;max-width:520px;padding:7px 12px;border-radius:6px;border:1px solid #3a455b;background:#243048;color:#fff;font-size:14px}
#search::placeholder,.key input::placeholder{color:#93a0b8}
.key{display:flex;align-items:center;gap:8px;margin:0;font-size:13px;color:#cfd7e6}
.key input{width:220px;padding:6px 10px;border-radius:6px;border:1px solid #3a455b;background:#243048;color:#fff;font:13px var(--mono)}
.raw{color:#9fc0ff;font-size:13px}
.layout{display:grid;grid-template-columns:250px minmax(0,1fr);gap:28px;max-width:1360px;margin:0 auto;padding:20px 24px 60px}
nav.toc{position:sticky;top:76px;align-self:start;max-height:calc(100vh - 96px);overflow:auto;font-size:13px;padding-right:6px}
nav.toc h3{margin:14px 0 4px;font-size:11px;text-transform:uppercase;letter-spacing:.8px;color:var(--muted)}
nav.toc a{display:flex;gap:8px;align-items:center;padding:2px 6px;border-radius:4px;color:var(--ink);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
nav.toc a:hover{background:var(--soft);text-decoration:none}
nav.toc a span.p{overflow:hidden;text-overflow:ellipsis;font-family:var(--mono);font-size:12px}
.intro p{margin:4px 0 10px;color:var(--muted);max-width:80ch}
.bar{display:flex;align-items:center;gap:8px;color:var(--muted);font-size:13px}
.bar .spacer{flex:1}
button{font:13px system-ui,sans-serif;border:1px solid var(--line);background:var(--card);border-radius:6px;padding:5px 12px;cursor:pointer;color:var(--ink)}
button:hover{border-color:#b8c0cc}
h2.group{margin:26px 0 8px;font-size:17px;text-transform:capitalize;border-bottom:1px solid var(--line);padding-bottom:4px}
details.op{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--other);border-radius:8px;margin:8px 0;overflow:hidden}
details.op.m-get{border-left-color:var(--get)}details.op.m-post{border-left-color:var(--post)}
details.op.m-put{border-left-color:var(--put)}details.op.m-patch{border-left-color:var(--patch)}details.op.m-delete{border-left-color:var(--delete)}
details.op>summary{display:flex;align-items:center;gap:12px;padding:9px 14px;cursor:pointer;list-style:none}
details.op>summary::-webkit-details-marker{display:none}
details.op>summary:hover{background:#fafbfd}
details.op[open]>summary{border-bottom:1px solid var(--line);background:#fafbfd}
.method{flex:none;display:inline-block;min-width:62px;text-align:center;padding:2px 0;border-radius:4px;color:#fff;font:700 12px var(--mono);letter-spacing:.4px;background:var(--other)}
.mini{min-width:44px;font-size:10px;padding:0}
.b-get{background:var(--get)}.b-post{background:var(--post)}.b-put{background:var(--put)}.b-patch{background:var(--patch)}.b-delete{background:var(--delete)}
.path{font:600 14px var(--mono);white-space:nowrap}
.summary{flex:1;color:var(--muted);font-size:14px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.opid{flex:none;font:12px var(--mono);color:#8a93a3}
.op-body{padding:6px 18px 16px}
.op-body h4{margin:16px 0 6px;font-size:12px;text-transform:uppercase;letter-spacing:.7px;color:var(--muted)}
.desc{margin:8px 0;max-width:90ch}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;padding:5px 8px;border-bottom:1px solid var(--line)}
td{padding:6px 8px;border-bottom:1px solid var(--soft);vertical-align:top}
td.name{font:600 13px var(--mono);white-space:nowrap}
td.type{font:12.5px var(--mono);color:#4b3fa0;max-width:280px}
td.status{font:700 13px var(--mono);white-space:nowrap;width:70px}
.s2{color:var(--post)}.s3{color:var(--get)}.s4{color:var(--patch)}.s5{color:var(--delete)}
.req{color:var(--delete);font-weight:700;margin-left:3px}
.in{display:inline-block;font:11px var(--mono);color:var(--muted);background:var(--soft);border-radius:3px;padding:0 5px}
.cons{display:block;color:#7a8394;font-size:12px;margin-top:2px}
.ctype{font:12px var(--mono);color:var(--muted)}
.try{margin-top:16px;border:1px solid var(--line);border-radius:8px;background:#f8fafc;padding:10px 14px 14px}
.try h4{margin:2px 0 10px}
.try-form{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:8px 14px}
.field{display:flex;flex-direction:column;gap:2px;font-size:12px;color:var(--muted)}
.field .fname{font:600 12px var(--mono);color:var(--ink)}
.field input,.field select{padding:5px 8px;border:1px solid #ccd3dd;border-radius:5px;font:13px var(--mono);background:#fff}
.try-actions{display:flex;align-items:center;gap:12px;margin-top:12px}
button.send{background:var(--get);border-color:var(--get);color:#fff;font-weight:600}
button.send:hover{background:#185ccc}
.try-url{font:12px var(--mono);color:var(--muted);word-break:break-all}
.try-out{margin-top:12px}
.try-status{font:700 14px var(--mono)}
.try-status.ok{color:var(--post)}.try-status.bad{color:var(--delete)}
.try-headers{margin:6px 0;font:12px var(--mono);color:var(--muted);display:grid;grid-template-columns:max-content 1fr;gap:1px 12px}
.try-headers b{color:var(--ink);font-weight:600}
pre.try-body{margin:6px 0 0;max-height:420px;overflow:auto;background:#111827;color:#e5e7eb;border-radius:6px;padding:10px 12px;font:12.5px/1.45 var(--mono)}
#schemas h2{margin:34px 0 8px;font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px}
details.schema{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:6px 0}
details.schema>summary{padding:7px 14px;cursor:pointer;font:600 13.5px var(--mono)}
details.schema .op-body{padding-top:0}
.type a{color:#4b3fa0;text-decoration:underline dotted}
.error{color:var(--delete);font-weight:600}
@media (max-width:900px){.layout{grid-template-columns:1fr}nav.toc{display:none}.opid{display:none}}
"""#

    static let script = #"""
(function () {
  'use strict';
  var spec;
  try { spec = JSON.parse(document.getElementById('spec').textContent); } catch (e) { spec = { error: 'spec: ' + e }; }
  var METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'];
  var SHOWN_HEADERS = ['X-Request-Id', 'Cache-Status', 'ETag', 'Age', 'Content-Type', 'Retry-After', 'Preference-Applied', 'Location'];
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, props, kids) {
    var e = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    });
    (kids || []).forEach(function (c) {
      if (c === undefined || c === null) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  // Text with `code` spans, as the spec writes them.
  function rich(text, cls) {
    var span = h('span', { class: cls });
    String(text || '').split('`').forEach(function (part, i) {
      span.appendChild(i % 2 ? h('code', { text: part }) : document.createTextNode(part));
    });
    return span;
  }

  function pointer(ref) {
    if (typeof ref !== 'string' || ref.indexOf('#/') !== 0) return undefined;
    var node = spec;
    ref.slice(2).split('/').forEach(function (k) {
      k = k.replace(/~1/g, '/').replace(/~0/g, '~');
      node = node === undefined || node === null ? undefined : node[k];
    });
    return node;
  }

  // Follows $ref (components/parameters, responses, schemas ...) to the object itself.
  function resolve(obj) {
    for (var i = 0; i < 20 && obj && typeof obj === 'object' && typeof obj.$ref === 'string'; i++) {
      var target = pointer(obj.$ref);
      if (target === undefined) return obj;
      obj = target;
    }
    return obj;
  }

  function refName(ref) { return ref.split('/').pop(); }

  // A schema's type as a line of text, with links to named schemas.
  function typeNode(s, depth) {
    var out = h('span', { class: 'type' });
    function add(x) { out.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); }
    function walk(s, d) {
      if (s === undefined || s === null || s === true) return add('any');
      if (typeof s.$ref === 'string') {
        var name = refName(s.$ref);
        if (s.$ref.indexOf('#/components/schemas/') === 0) return add(h('a', { href: '#schema-' + name, text: name }));
        return add(name);
      }
      if (d > 4) return add('\u2026');
      if (s.const !== undefined) return add(JSON.stringify(s.const));
      if (Array.isArray(s.enum)) return add(s.enum.map(function (v) { return JSON.stringify(v); }).join(' | '));
      var combos = ['allOf', 'oneOf', 'anyOf'].filter(function (k) { return Array.isArray(s[k]); });
      if (combos.length) {
        combos.forEach(function (k, ci) {
          if (ci) add(' ');
          s[k].forEach(function (x, i) { if (i) add(k === 'allOf' ? ' & ' : ' | '); walk(x, d + 1); });
        });
        return;
      }
      var types = Array.isArray(s.type) ? s.type : (s.type ? [s.type] : []);
      if (!types.length) return add(s.properties ? 'object' : 'any');
      types.forEach(function (t, i) {
        if (i) add(' | ');
        if (t === 'array') { add('array of '); walk(s.items, d + 1); }
        else if (t === 'string' && s.format) add('string (' + s.format + ')');
        else add(String(t));
      });
    }
    walk(s, depth || 0);
    return out;
  }

  function constraints(s) {
    s = resolve(s) || {};
    var out = [];
    if (s.default !== undefined) out.push('default ' + JSON.stringify(s.default));
    if (s.minimum !== undefined) out.push('min ' + s.minimum);
    if (s.maximum !== undefined) out.push('max ' + s.maximum);
    if (s.minLength !== undefined) out.push('min length ' + s.minLength);
    if (s.maxLength !== undefined) out.push('max length ' + s.maxLength);
    if (s.pattern !== undefined) out.push('pattern ' + s.pattern);
    if (s.example !== undefined) out.push('e.g. ' + JSON.stringify(s.example));
    return out.join(' \u00b7 ');
  }

  // The properties of an object schema, allOf merged, one level deep.
  function fields(schema) {
    var list = [], required = {}, seen = {};
    (function walk(x, d) {
      x = resolve(x);
      if (!x || typeof x !== 'object' || d > 6) return;
      (x.allOf || []).forEach(function (y) { walk(y, d + 1); });
      (x.required || []).forEach(function (r) { required[r] = true; });
      var props = x.properties || {};
      Object.keys(props).forEach(function (name) {
        if (seen[name] !== undefined) { list[seen[name]].schema = props[name]; return; }
        seen[name] = list.length;
        list.push({ name: name, schema: props[name] });
      });
    })(schema, 0);
    list.forEach(function (f) { f.required = !!required[f.name]; });
    return list;
  }

  function section(title, content) {
    return h('div', { class: 'sec' }, [h('h4', { text: title }), content]);
  }

  function paramTable(params) {
    var rows = params.map(function (p) {
      var s = p.schema || (p.content && Object.keys(p.content).length ? p.content[Object.keys(p.content)[0]].schema : undefined);
      var desc = h('td', null, [rich(p.description)]);
      var cons = constraints(s);
      if (cons) desc.appendChild(h('span', { class: 'cons', text: cons }));
      return h('tr', null, [
        h('td', { class: 'name' }, [p.name, p.required ? h('span', { class: 'req', title: 'required', text: '*' }) : null]),
        h('td', null, [h('span', { class: 'in', text: p.in })]),
        h('td', { class: 'type' }, [typeNode(s)]),
        desc
      ]);
    });
    return h('table', null, [h('thead', null, [h('tr', null, [h('th', { text: 'Name' }), h('th', { text: 'In' }), h('th', { text: 'Type' }), h('th', { text: 'Description' })])]), h('tbody', null, rows)]);
  }

  function fieldTable(schema) {
    var list = fields(schema);
    if (!list.length) return h('div', { class: 'type' }, [typeNode(schema)]);
    var rows = list.map(function (f) {
      var s = f.schema;
      var r = resolve(s) || {};
      var desc = h('td', null, [rich(r.description)]);
      var cons = constraints(s);
      if (cons) desc.appendChild(h('span', { class: 'cons', text: cons }));
      return h('tr', null, [
        h('td', { class: 'name' }, [f.name, f.required ? h('span', { class: 'req', title: 'required', text: '*' }) : null]),
        h('td', { class: 'type' }, [typeNode(s)]),
        desc
      ]);
    });
    return h('table', null, [h('thead', null, [h('tr', null, [h('th', { text: 'Field' }), h('th', { text: 'Type' }), h('th', { text: 'Description' })])]), h('tbody', null, rows)]);
  }

  function requestBody(rb) {
    rb = resolve(rb) || {};
    var box = h('div');
    if (rb.description) box.appendChild(h('p', { class: 'desc' }, [rich(rb.description)]));
    Object.keys(rb.content || {}).forEach(function (ct) {
      var schema = (rb.content[ct] || {}).schema;
      box.appendChild(h('div', { class: 'ctype' }, [ct + (rb.required ? ' (required)' : ' (optional)') + (schema && schema.$ref ? ': ' : ''), schema && schema.$ref ? typeNode(schema) : null]));
      box.appendChild(fieldTable(schema));
    });
    return box;
  }

  function responsesTable(responses) {
    var codes = Object.keys(responses || {}).sort(function (a, b) { return (a === 'default') - (b === 'default') || (a < b ? -1 : a > b ? 1 : 0); });
    var rows = codes.map(function (code) {
      var r = resolve(responses[code]) || {};
      var body = h('td', { class: 'type' });
      Object.keys(r.content || {}).forEach(function (ct, i) {
        if (i) body.appendChild(h('br'));
        var schema = (r.content[ct] || {}).schema;
        body.appendChild(h('span', { class: 'ctype', text: ct }));
        if (schema && Object.keys(schema).length) { body.appendChild(document.createTextNode(' ')); body.appendChild(typeNode(schema)); }
      });
      return h('tr', null, [h('td', { class: 'status s' + code.charAt(0), text: code }), h('td', null, [rich(r.description)]), body]);
    });
    return h('table', null, [h('thead', null, [h('tr', null, [h('th', { text: 'Status' }), h('th', { text: 'Description' }), h('th', { text: 'Body' })])]), h('tbody', null, rows)]);
  }

  // ---- operations ----
  var ops = [];
  var paths = spec.paths || {};
  Object.keys(paths).forEach(function (path) {
    var item = resolve(paths[path]) || {};
    METHODS.forEach(function (m) {
      var op = item[m];
      if (!op) return;
      var params = [], index = {};
      (item.parameters || []).concat(op.parameters || []).forEach(function (p) {
        p = resolve(p);
        if (!p || !p.name) return;
        var key = p.in + ':' + p.name;
        if (index[key] !== undefined) params[index[key]] = p; else { index[key] = params.length; params.push(p); }
      });
      ops.push({ method: m, path: path, op: op, params: params, id: op.operationId || (m + '-' + path),
                 tag: (op.tags && op.tags[0]) || 'other' });
    });
  });

  function tryIt(o) {
    var box = h('div', { class: 'try' }, [h('h4', { text: 'Try it' })]);
    var form = h('div', { class: 'try-form' });
    var inputs = [];
    o.params.forEach(function (p) {
      if (['path', 'query', 'header'].indexOf(p.in) < 0) return;
      var s = resolve(p.schema) || {};
      var input;
      if (Array.isArray(s.enum)) {
        input = h('select', null, [h('option', { value: '', text: p.required ? '(choose)' : '(none)' })]);
        s.enum.forEach(function (v) { input.appendChild(h('option', { value: String(v), text: String(v) })); });
      } else {
        var hint = s.default !== undefined ? String(s.default) : (s.example !== undefined ? String(s.example) : (p.example !== undefined ? String(p.example) : ''));
        input = h('input', { type: 'text', placeholder: hint, spellcheck: 'false', autocomplete: 'off' });
      }
      input.name = p.name;
      inputs.push({ p: p, input: input });
      form.appendChild(h('label', { class: 'field' }, [h('span', null, [h('span', { class: 'fname', text: p.name + (p.required ? ' *' : '') }), ' ', h('span', { class: 'in', text: p.in })]), input]));
    });
    if (inputs.length) box.appendChild(form);
    var url = h('span', { class: 'try-url' });
    var send = h('button', { type: 'button', class: 'send', text: 'Send GET' });
    box.appendChild(h('div', { class: 'try-actions' }, [send, url]));
    var out = h('div', { class: 'try-out', hidden: true });
    box.appendChild(out);
    o.inputs = inputs;
    o.send = function () { return run(o, url, out); };
    send.addEventListener('click', function () {
      var q = new URLSearchParams();
      q.set('try', o.id);
      inputs.forEach(function (x) { if (x.input.value.trim()) q.set(x.p.name, x.input.value.trim()); });
      history.replaceState(null, '', '#' + q.toString());
      o.send();
    });
    return box;
  }

  function pretty(text, type) {
    if (/json/i.test(type || '')) {
      try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* as received */ }
    }
    return text;
  }

  function readSome(res, ms) {
    // Event streams never end: show what arrives in the first few seconds.
    var reader = res.body.getReader(), decoder = new TextDecoder(), text = '';
    var stop = Date.now() + ms;
    return new Promise(function (resolveText) {
      var timer = setTimeout(function () { reader.cancel().catch(function () {}); resolveText(text + '\n[stream: first ' + (ms / 1000) + ' s shown]'); }, ms);
      (function pump() {
        reader.read().then(function (r) {
          if (r.done || Date.now() > stop) { clearTimeout(timer); resolveText(text); return; }
          text += decoder.decode(r.value, { stream: true });
          pump();
        }).catch(function () { clearTimeout(timer); resolveText(text); });
      })();
    });
  }

  function run(o, urlEl, out) {
    var path = o.path, query = [], headers = {}, missing = [];
    o.inputs.forEach(function (x) {
      var v = x.input.value.trim(), p = x.p;
      if (!v) { if (p.required) missing.push(p.name); return; }
      if (p.in === 'path') {
        var enc = /[/]/.test(v) && o.path.indexOf('{' + p.name + '}') === o.path.length - p.name.length - 2
          ? v.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(v);
        path = path.replace('{' + p.name + '}', enc);
      } else if (p.in === 'query') query.push(encodeURIComponent(p.name) + '=' + encodeURIComponent(v));
      else headers[p.name] = v;
    });
    var key = $('apikey').value.trim();
    if (key) headers.Authorization = 'Bearer ' + key;
    var target = path + (query.length ? '?' + query.join('&') : '');
    urlEl.textContent = 'GET ' + target;
    out.hidden = false;
    out.textContent = '';
    var card = o.card;
    if (missing.length) {
      out.appendChild(h('div', { class: 'error', text: 'Required: ' + missing.join(', ') }));
      card.setAttribute('data-try-status', 'missing');
      return Promise.resolve();
    }
    card.setAttribute('data-try-status', 'pending');
    out.appendChild(h('div', { class: 'try-status', text: 'Sending\u2026' }));
    var started = performance.now();
    var abort = new AbortController();
    var timeout = setTimeout(function () { abort.abort(); }, 30000);
    return fetch(target, { method: 'GET', headers: headers, signal: abort.signal, cache: 'no-store' }).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      var body = /event-stream/.test(type) ? readSome(res, 3000) : res.text();
      return body.then(function (text) {
        clearTimeout(timeout);
        var ms = Math.round(performance.now() - started);
        out.textContent = '';
        out.appendChild(h('div', { class: 'try-status ' + (res.ok ? 'ok' : 'bad'), text: res.status + ' ' + res.statusText + '  \u00b7  ' + ms + ' ms' }));
        var hs = h('div', { class: 'try-headers' });
        SHOWN_HEADERS.forEach(function (name) {
          var v = res.headers.get(name);
          if (v !== null) { hs.appendChild(h('b', { text: name })); hs.appendChild(h('span', { text: v })); }
        });
        out.appendChild(hs);
        var shown = text.length > 500000 ? text.slice(0, 500000) + '\n[truncated]' : text;
        out.appendChild(h('pre', { class: 'try-body', text: pretty(shown, type) || '(no body)' }));
        card.setAttribute('data-try-status', String(res.status));
        card.setAttribute('data-try-request-id', res.headers.get('X-Request-Id') || '');
      });
    }).catch(function (e) {
      clearTimeout(timeout);
      out.textContent = '';
      out.appendChild(h('div', { class: 'try-status bad', text: 'Failed: ' + (e && e.name ? e.name + ': ' + e.message : e) }));
      card.setAttribute('data-try-status', 'error');
    });
  }

  function card(o) {
    var d = h('details', { class: 'op m-' + o.method, id: 'op-' + o.id, 'data-op': o.id, 'data-method': o.method.toUpperCase(), 'data-path': o.path });
    d.appendChild(h('summary', null, [
      h('span', { class: 'method b-' + o.method, text: o.method.toUpperCase() }),
      h('span', { class: 'path', text: o.path }),
      rich(o.op.summary, 'summary'),
      h('span', { class: 'opid', text: o.id })
    ]));
    var body = h('div', { class: 'op-body' });
    // The summary line truncates long summaries: repeat those in full.
    if (o.op.summary && o.op.summary.length > 80) body.appendChild(h('p', { class: 'desc' }, [rich(o.op.summary)]));
    if (o.op.description) body.appendChild(h('p', { class: 'desc' }, [rich(o.op.description)]));
    if (o.params.length) body.appendChild(section('Parameters', paramTable(o.params)));
    if (o.op.requestBody) body.appendChild(section('Request body', requestBody(o.op.requestBody)));
    body.appendChild(section('Responses', responsesTable(o.op.responses)));
    if (o.method === 'get') body.appendChild(tryIt(o));
    d.appendChild(body);
    return d;
  }

  // ---- page ----
  var info = spec.info || {};
  $('version').textContent = (info.title && info.title !== 'crm-gateway' ? info.title + ' ' : '') + (info.version ? 'v' + info.version : '') + (spec.openapi ? '  \u00b7  OpenAPI ' + spec.openapi : '');
  $('description').appendChild(rich(info.description || ''));
  if (spec.error) $('ops').appendChild(h('p', { class: 'error', text: spec.error }));

  var groups = [], byTag = {};
  (spec.tags || []).forEach(function (t) { if (t && t.name) { byTag[t.name] = { tag: t.name, ops: [] }; groups.push(byTag[t.name]); } });
  ops.forEach(function (o) {
    if (!byTag[o.tag]) { byTag[o.tag] = { tag: o.tag, ops: [] }; groups.push(byTag[o.tag]); }
    byTag[o.tag].ops.push(o);
  });
  var opsRoot = $('ops'), toc = $('toc'), byId = {};
  groups.forEach(function (g) {
    if (!g.ops.length) return;
    g.section = h('section', { class: 'group', id: 'tag-' + g.tag }, [h('h2', { class: 'group', text: g.tag })]);
    g.tocGroup = h('div', null, [h('h3', { text: g.tag })]);
    g.ops.forEach(function (o) {
      o.card = card(o);
      byId[o.id] = o;
      g.section.appendChild(o.card);
      o.tocLink = h('a', { href: '#op-' + o.id, title: o.method.toUpperCase() + ' ' + o.path },
        [h('span', { class: 'method mini b-' + o.method, text: o.method.toUpperCase() }), h('span', { class: 'p', text: o.path })]);
      g.tocGroup.appendChild(o.tocLink);
      o.hay = [o.method, o.path, o.id, o.tag, o.op.summary || '', o.op.description || ''].join(' ').toLowerCase();
    });
    opsRoot.appendChild(g.section);
    toc.appendChild(g.tocGroup);
  });

  var count = $('count');
  count.setAttribute('data-total', String(ops.length));
  function filter() {
    var words = $('search').value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    ops.forEach(function (o) {
      // `id:<operationId>` matches that operation only; other words anywhere in its text.
      var ok = words.every(function (w) { return w.indexOf('id:') === 0 ? o.id.toLowerCase() === w.slice(3) : o.hay.indexOf(w) >= 0; });
      o.card.hidden = !ok;
      o.tocLink.hidden = !ok;
      if (ok) shown++;
    });
    groups.forEach(function (g) {
      if (!g.section) return;
      var none = g.ops.every(function (o) { return o.card.hidden; });
      g.section.hidden = none;
      g.tocGroup.hidden = none;
    });
    count.textContent = (shown === ops.length ? ops.length : shown + ' of ' + ops.length) + ' operations in ' +
      groups.filter(function (g) { return g.section && !g.section.hidden; }).length + ' groups';
    count.setAttribute('data-shown', String(shown));
  }
  $('search').addEventListener('input', filter);
  // The key's form only keeps browsers quiet about a lone password field: it never submits.
  $('keyform').addEventListener('submit', function (e) { e.preventDefault(); });
  filter();
  $('expand').addEventListener('click', function () { ops.forEach(function (o) { if (!o.card.hidden) o.card.open = true; }); });
  $('collapse').addEventListener('click', function () { ops.forEach(function (o) { o.card.open = false; }); });

  // Named schemas, for the type links.
  var schemas = (spec.components || {}).schemas || {};
  var names = Object.keys(schemas);
  if (names.length) {
    var sroot = $('schemas');
    sroot.appendChild(h('h2', { text: 'Schemas' }));
    names.forEach(function (name) {
      var s = schemas[name] || {};
      var d = h('details', { class: 'schema', id: 'schema-' + name }, [h('summary', { text: name })]);
      var body = h('div', { class: 'op-body' });
      if (s.description) body.appendChild(h('p', { class: 'desc' }, [rich(s.description)]));
      body.appendChild(fieldTable(s));
      d.appendChild(body);
      sroot.appendChild(d);
    });
  }

  // #op-<operationId> opens an operation; #try=<operationId>&<param>=<value>... also sends it.
  function fromHash() {
    var hash = location.hash.slice(1);
    try { hash = decodeURIComponent(hash); } catch (e) { /* keep it as written */ }
    if (!hash) return;
    if (hash.indexOf('schema-') === 0) { var sc = $(hash); if (sc) sc.open = true; return; }
    if (hash.indexOf('op-') === 0) { var oc = byId[hash.slice(3)]; if (oc) oc.card.open = true; return; }
    var q = new URLSearchParams(location.hash.slice(1));
    var o = byId[q.get('try') || ''];
    if (!o || !o.send) return;
    (o.inputs || []).forEach(function (x) { if (q.has(x.p.name)) x.input.value = q.get(x.p.name); });
    // Show that operation alone (clear the filter to see the others again), its answer first.
    $('search').value = 'id:' + o.id;
    filter();
    o.card.open = true;
    var box = o.card.querySelector('.try'), body = o.card.querySelector('.op-body');
    body.insertBefore(box, body.firstChild);
    o.send().then(function () {
      var r = box.getBoundingClientRect();
      if (r.top < 0 || r.bottom > window.innerHeight) box.scrollIntoView({ block: 'nearest' });
    });
  }
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
"""#
}
