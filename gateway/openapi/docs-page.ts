// GET /docs: the OpenAPI document as a page a person can read, in one self-contained HTML file.
// Nothing is loaded from the network (no CDN, no fonts): the page fetches /openapi.json from the
// gateway that served it and renders each operation with its parameters, its request body's fields
// (type, bounds, enums, descriptions) and its answers. A small page instead of a UI package: the
// gateway's image stays small and there is nothing third-party to keep patched.

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Perpetual gateway API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f7f8fa; }
  header { background: #1d2330; color: #fff; padding: 16px 24px; }
  header p { margin: 4px 0 0; color: #c6cbd6; max-width: 70em; }
  main { padding: 8px 24px 48px; max-width: 78em; }
  h2 { margin: 28px 0 8px; font-size: 18px; }
  details { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; margin: 6px 0; }
  summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: baseline; }
  .method { font: 600 12px ui-monospace, monospace; text-transform: uppercase; width: 56px; text-align: center; border-radius: 4px; padding: 2px 0; color: #fff; }
  .get { background: #2b7bb9; } .post { background: #2e8b57; } .patch { background: #b8860b; } .delete { background: #b03a2e; }
  .path { font-family: ui-monospace, monospace; }
  .summary { color: #5a6272; }
  .body { padding: 4px 16px 12px; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 14px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef2; vertical-align: top; }
  code, .type { font-family: ui-monospace, monospace; font-size: 13px; }
  .required { color: #b03a2e; font-size: 12px; }
  h4 { margin: 12px 0 2px; font-size: 14px; }
</style>
</head>
<body>
<header><h1 style="margin:0;font-size:22px">Perpetual gateway API</h1><p id="about">Loading /openapi.json…</p></header>
<main id="main"></main>
<script>
(function () {
  var doc;
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c instanceof Node ? c : document.createTextNode(String(c))); });
    return node;
  }
  function resolve(schema) {
    while (schema && schema.$ref) schema = schema.$ref.split('/').slice(1).reduce(function (o, k) { return o[k]; }, doc);
    return schema || {};
  }
  function typeOf(schema) {
    schema = resolve(schema);
    if (schema.anyOf) return schema.anyOf.map(typeOf).join(' | ');
    if (schema.enum) return schema.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
    if ('const' in schema) return JSON.stringify(schema.const);
    if (schema.type === 'array') return typeOf(schema.items || {}) + '[]';
    return [].concat(schema.type || 'any').join(' | ');
  }
  function bounds(schema) {
    schema = resolve(schema);
    var words = [];
    [['minimum', '≥ '], ['maximum', '≤ '], ['minLength', 'min length '], ['maxLength', 'max length '], ['minItems', 'min items '], ['maxItems', 'max items '], ['pattern', 'pattern ']].forEach(function (pair) {
      if (schema[pair[0]] !== undefined) words.push(pair[1] + schema[pair[0]]);
    });
    return words.join(', ');
  }
  function fields(schema, prefix, rows) {
    schema = resolve(schema);
    var required = schema.required || [];
    Object.keys(schema.properties || {}).forEach(function (name) {
      var field = resolve(schema.properties[name]);
      rows.push(el('tr', {}, [
        el('td', {}, [el('code', {}, [prefix + name]), required.indexOf(name) >= 0 ? el('div', { class: 'required' }, ['required']) : '']),
        el('td', { class: 'type' }, [typeOf(field)]),
        el('td', {}, [(field.description || '') + (bounds(field) ? ' (' + bounds(field) + ')' : '')]),
      ]));
      var items = field.type === 'array' ? resolve(field.items) : undefined;
      if (field.properties) fields(field, prefix + name + '.', rows);
      else if (items && items.properties) fields(items, prefix + name + '[].', rows);
    });
    return rows;
  }
  function table(head, rows) {
    return el('table', {}, [el('tr', {}, head.map(function (h) { return el('th', {}, [h]); }))].concat(rows));
  }
  function operation(path, method, op) {
    var body = el('div', { class: 'body' });
    var security = (op.security || []).map(function (s) { return Object.keys(s).join(', '); }).join(' or ');
    body.append(el('p', {}, ['Authentication: ', security || 'none']));
    if (op.parameters) {
      body.append(el('h4', {}, ['Parameters']));
      body.append(table(['name', 'in', 'description'], op.parameters.map(function (p) {
        return el('tr', {}, [el('td', {}, [el('code', {}, [p.name])]), el('td', {}, [p.in]), el('td', {}, [(p.description || '') + ' ' + typeOf(p.schema)])]);
      })));
    }
    if (op.requestBody) {
      var schema = resolve(op.requestBody.content['application/json'].schema);
      body.append(el('h4', {}, ['Request body: ' + (schema.title || '')]));
      if (schema.description) body.append(el('p', {}, [schema.description]));
      body.append(table(['field', 'type', 'description'], fields(schema, '', [])));
    }
    body.append(el('h4', {}, ['Responses']));
    body.append(table(['status', 'description'], Object.keys(op.responses).map(function (status) {
      return el('tr', {}, [el('td', {}, [status]), el('td', {}, [resolve(op.responses[status]).description || ''])]);
    })));
    return el('details', { id: op.operationId }, [
      el('summary', {}, [el('span', { class: 'method ' + method }, [method]), el('span', { class: 'path' }, [path]), el('span', { class: 'summary' }, [op.summary || ''])]),
      body,
    ]);
  }
  fetch('openapi.json').then(function (r) { return r.json(); }).then(function (d) {
    doc = d;
    document.getElementById('about').textContent = d.info.title + ' ' + d.info.version + ' (OpenAPI ' + d.openapi + '). ' + d.info.description + ' The document: /openapi.json.';
    var byTag = {};
    Object.keys(d.paths).forEach(function (path) {
      Object.keys(d.paths[path]).forEach(function (method) {
        var op = d.paths[path][method];
        var tag = (op.tags || ['Other'])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(path, method, op));
      });
    });
    var main = document.getElementById('main');
    Object.keys(byTag).forEach(function (tag) { main.append(el('h2', {}, [tag])); byTag[tag].forEach(function (node) { main.append(node); }); });
  }).catch(function (err) { document.getElementById('about').textContent = 'Could not load /openapi.json: ' + err; });
})();
</script>
</body>
</html>
`;
