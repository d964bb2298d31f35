/* Segment rule-tree builder: edits the hidden JSON field and asks the server for a live count.
 * No inline scripts: the field catalogue comes from json_script, texts and URLs from data- attributes. */
(function () {
  "use strict";
  var root = document.getElementById("segment-builder");
  if (!root) { return; }
  var form = document.getElementById("segment-form");
  var hidden = form.querySelector("input[name=definition]");
  var catalog = JSON.parse(document.getElementById("segment-catalog").textContent);
  var t = root.dataset;
  var fieldsByValue = {};
  catalog.fields.forEach(function (f) { fieldsByValue[f.value] = f; });
  var MAX_DEPTH = 4;
  var tree;
  try { tree = JSON.parse(hidden.value || "{}"); } catch (e) { tree = {}; }
  if (!tree || !Array.isArray(tree.items)) { tree = {op: "and", items: []}; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function select(options, value, onChange, label, multiple) {
    var s = el("select", {"class": "form-select form-select-sm w-auto", "aria-label": label || ""});
    if (multiple) { s.multiple = true; s.size = Math.min(options.length, 5); }
    options.forEach(function (o) {
      var opt = el("option", {value: o[0], text: o[1]});
      if (multiple ? (value || []).indexOf(o[0]) >= 0 : String(o[0]) === String(value)) { opt.selected = true; }
      s.appendChild(opt);
    });
    s.addEventListener("change", function () {
      onChange(multiple ? Array.prototype.map.call(s.selectedOptions, function (o) { return o.value; }) : s.value);
    });
    return s;
  }

  function input(type, value, onChange, label, extra) {
    var i = el("input", Object.assign({type: type, "class": "form-control form-control-sm w-auto",
      "aria-label": label || "", placeholder: label || ""}, extra || {}));
    if (value !== undefined && value !== null) { i.value = value; }
    i.addEventListener("input", function () { onChange(i.value); });
    return i;
  }

  function intOrNull(text) { return text === "" ? null : (/^-?\d+$/.test(text) ? parseInt(text, 10) : text); }

  function defaultCondition(type) {
    switch (type) {
      case "behaviour": return {type: "behaviour", did: true, kind: catalog.touchKinds[0][0], within_days: 30};
      case "dormancy": return {type: "dormancy", rule: catalog.rules.length ? catalog.rules[0][0] : ""};
      case "dormant_days": return {type: "dormant_days", min_days: 180};
      case "lapse": return {type: "lapse", expiring_within_days: 30};
      case "consent": return {type: "consent", can_receive_marketing: true};
      case "score": return {type: "score", op: "gte", value: 50};
      default: return {type: "attribute", field: "status", op: "equals", value: "lost"};
    }
  }

  function operatorsFor(field) {
    var spec = fieldsByValue[field];
    var kind = spec ? spec.type : "text";
    return catalog.operators[kind] || [];
  }

  function defaultValue(field, op) {
    var spec = fieldsByValue[field] || {type: "text"};
    var shape = (operatorsFor(field).filter(function (o) { return o.value === op; })[0] || {}).shape;
    if (shape === "none") { return undefined; }
    if (shape === "days") { return 30; }
    if (shape === "list") { return spec.choices ? [spec.choices[0][0]] : []; }
    if (shape === "pair") { return spec.type === "number" ? [0, 100] : ["", ""]; }
    if (spec.choices) { return spec.choices[0][0]; }
    if (spec.type === "user") { return catalog.owners.length ? catalog.owners[0][0] : null; }
    return "";
  }

  function valueEditor(cond) {
    var spec = fieldsByValue[cond.field] || {type: "text", choices: null};
    var op = operatorsFor(cond.field).filter(function (o) { return o.value === cond.op; })[0];
    if (!op || op.shape === "none") { return null; }
    var set = function (v) { cond.value = v; changed(false); };
    if (op.shape === "days") {
      return input("number", cond.value, function (v) { set(intOrNull(v)); }, t.i18nDays, {min: "0", style: "width:6rem"});
    }
    if (op.shape === "pair") {
      var type = spec.type === "number" ? "number" : "date";
      var pair = Array.isArray(cond.value) ? cond.value.slice() : ["", ""];
      var conv = type === "number" ? intOrNull : function (v) { return v; };
      return el("span", {"class": "d-inline-flex gap-1"}, [
        input(type, pair[0], function (v) { pair[0] = conv(v); set(pair.slice()); }, "", {}),
        input(type, pair[1], function (v) { pair[1] = conv(v); set(pair.slice()); }, "", {})
      ]);
    }
    if (spec.choices) {
      return select(spec.choices, cond.value, set, "", op.shape === "list");
    }
    if (spec.type === "user") {
      var owners = catalog.owners.map(function (o) { return [String(o[0]), o[1]]; });
      var toIds = function (v) { return Array.isArray(v) ? v.map(Number) : Number(v); };
      var current = Array.isArray(cond.value) ? cond.value.map(String) : String(cond.value);
      return select(owners, current, function (v) { set(toIds(v)); }, "", op.shape === "list");
    }
    if (op.shape === "list") {
      return input("text", (cond.value || []).join(", "), function (v) {
        set(v.split(",").map(function (s) { return s.trim(); }).filter(Boolean));
      }, t.i18nListHint);
    }
    if (spec.type === "number") { return input("number", cond.value, function (v) { set(intOrNull(v)); }, ""); }
    if (spec.type === "date" || spec.type === "datetime") { return input("date", cond.value, set, ""); }
    return input("text", cond.value, set, "");
  }

  function conditionEditor(cond, parent, index) {
    var row = el("div", {"class": "segment-condition d-flex flex-wrap align-items-center gap-2 p-2 mb-2 border rounded bg-white"});
    row.appendChild(select(catalog.conditionTypes, cond.type, function (v) {
      parent.items[index] = defaultCondition(v); changed(true);
    }, ""));
    var num = function (key, label) {
      return input("number", cond[key], function (v) {
        var n = intOrNull(v); if (n === null) { delete cond[key]; } else { cond[key] = n; } changed(false);
      }, label, {min: "0", style: "width:7rem", title: label});
    };
    if (cond.type === "attribute") {
      var fieldOptions = catalog.fields.map(function (f) { return [f.value, f.label]; });
      if (!fieldsByValue[cond.field]) { fieldOptions.push([cond.field, cond.field]); }
      row.appendChild(select(fieldOptions, cond.field, function (v) {
        cond.field = v; cond.op = operatorsFor(v)[0].value; cond.value = defaultValue(v, cond.op);
        if (cond.value === undefined) { delete cond.value; } changed(true);
      }, "field"));
      row.appendChild(select(operatorsFor(cond.field).map(function (o) { return [o.value, o.label]; }), cond.op, function (v) {
        cond.op = v; cond.value = defaultValue(cond.field, v);
        if (cond.value === undefined) { delete cond.value; } changed(true);
      }, "operator"));
      var editor = valueEditor(cond);
      if (editor) { row.appendChild(editor); }
    } else if (cond.type === "behaviour") {
      row.appendChild(select([["true", t.i18nDid], ["false", t.i18nDidNot]], String(cond.did !== false), function (v) {
        cond.did = v === "true"; changed(false);
      }, ""));
      row.appendChild(select(catalog.touchKinds, cond.kind, function (v) { cond.kind = v; changed(false); }, ""));
      row.appendChild(input("text", cond.url_contains || "", function (v) {
        if (v) { cond.url_contains = v; } else { delete cond.url_contains; } changed(false);
      }, t.i18nUrl, {style: "width:10rem"}));
      row.appendChild(num("min_count", t.i18nMin));
      row.appendChild(num("max_count", t.i18nMax));
      row.appendChild(num("within_days", t.i18nWithin));
    } else if (cond.type === "dormancy") {
      row.appendChild(select(catalog.rules, cond.rule, function (v) { cond.rule = v; changed(false); }, ""));
    } else if (cond.type === "dormant_days") {
      row.appendChild(el("span", {"class": "small text-muted", text: t.i18nDormantDays}));
      row.appendChild(num("min_days", t.i18nDays));
    } else if (cond.type === "lapse") {
      var which = cond.lapsed_within_days !== undefined ? "lapsed_within_days" : "expiring_within_days";
      row.appendChild(select([["expiring_within_days", t.i18nExpiring], ["lapsed_within_days", t.i18nLapsed]], which, function (v) {
        var days = cond[which]; delete cond.expiring_within_days; delete cond.lapsed_within_days; cond[v] = days; changed(true);
      }, ""));
      row.appendChild(num(which, t.i18nDays));
    } else if (cond.type === "score") {
      row.appendChild(select([["gte", t.i18nAtLeast], ["lte", t.i18nAtMost]], cond.op, function (v) {
        cond.op = v; changed(false);
      }, ""));
      row.appendChild(input("number", cond.value, function (v) {
        var n = v === "" ? null : Number(v); cond.value = (n === null || isNaN(n)) ? v : n; changed(false);
      }, t.i18nPoints, {step: "any", style: "width:7rem", title: t.i18nPoints}));
    } else if (cond.type === "consent") {
      row.appendChild(select([["true", t.i18nCan], ["false", t.i18nCannot]], String(cond.can_receive_marketing), function (v) {
        cond.can_receive_marketing = v === "true"; changed(false);
      }, ""));
    }
    var remove = el("button", {type: "button", "class": "btn btn-sm btn-outline-danger ms-auto", text: t.i18nRemove,
      "data-action": "remove"});
    remove.addEventListener("click", function () { parent.items.splice(index, 1); changed(true); });
    row.appendChild(remove);
    return row;
  }

  function groupEditor(group, parent, index, depth) {
    var box = el("div", {"class": "segment-group border-start border-3 ps-3 py-2 mb-2" + (depth > 1 ? " border-info bg-light rounded-end" : " border-primary")});
    var head = el("div", {"class": "d-flex flex-wrap align-items-center gap-2 mb-2"});
    head.appendChild(select([["and", t.i18nAll], ["or", t.i18nAny]], group.op, function (v) { group.op = v; changed(false); }, ""));
    var addCond = el("button", {type: "button", "class": "btn btn-sm btn-outline-primary", text: "+ " + t.i18nAddCondition,
      "data-action": "add-condition"});
    addCond.addEventListener("click", function () { group.items.push(defaultCondition("attribute")); changed(true); });
    head.appendChild(addCond);
    if (depth < MAX_DEPTH) {
      var addGroup = el("button", {type: "button", "class": "btn btn-sm btn-outline-secondary", text: "+ " + t.i18nAddGroup,
        "data-action": "add-group"});
      addGroup.addEventListener("click", function () {
        group.items.push({op: "or", items: [defaultCondition("attribute")]}); changed(true);
      });
      head.appendChild(addGroup);
    }
    if (parent) {
      var remove = el("button", {type: "button", "class": "btn btn-sm btn-outline-danger ms-auto", text: t.i18nRemove});
      remove.addEventListener("click", function () { parent.items.splice(index, 1); changed(true); });
      head.appendChild(remove);
    }
    box.appendChild(head);
    group.items.forEach(function (item, i) {
      box.appendChild(Array.isArray(item.items) ? groupEditor(item, group, i, depth + 1) : conditionEditor(item, group, i));
    });
    return box;
  }

  function render() {
    root.replaceChildren(groupEditor(tree, null, 0, 1));
  }

  var timer = null;
  var sequence = 0;
  function changed(rerender) {
    hidden.value = JSON.stringify(tree);
    if (rerender) { render(); }
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  }

  function csrfToken() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  var countEl = document.getElementById("preview-count");
  var errorsEl = document.getElementById("preview-errors");
  var busyEl = document.getElementById("preview-busy");
  var sampleBody = document.querySelector("#preview-sample tbody");

  function showErrors(errors) {
    errorsEl.replaceChildren(el("ul", {"class": "mb-0"}, errors.map(function (e) { return el("li", {text: e}); })));
    errorsEl.classList.remove("d-none");
    countEl.textContent = "—";
    sampleBody.replaceChildren();
  }

  function preview() {
    var mine = ++sequence;
    if (!tree.items.length) {  // nothing to ask yet: say what to do instead of showing an error
      errorsEl.replaceChildren(document.createTextNode(t.i18nEmpty));
      errorsEl.classList.remove("d-none");
      countEl.textContent = "—";
      sampleBody.replaceChildren();
      return;
    }
    busyEl.classList.remove("d-none");
    fetch(root.dataset.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({definition: tree})
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (mine !== sequence) { return; }  // a newer request is on its way
      busyEl.classList.add("d-none");
      if (!result.ok) { showErrors(result.data.errors || ["?"]); return; }
      errorsEl.classList.add("d-none");
      countEl.textContent = result.data.count.toLocaleString();
      sampleBody.replaceChildren.apply(sampleBody, result.data.sample.map(function (c) {
        return el("tr", {}, [el("td", {}, [el("a", {href: c.link, text: c.name})]),
          el("td", {text: c.company}), el("td", {text: c.email})]);
      }));
    }).catch(function () {
      if (mine === sequence) { busyEl.classList.add("d-none"); }
    });
  }

  render();
  hidden.value = JSON.stringify(tree);
  preview();
}());
