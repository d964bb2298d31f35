/* Live impact preview for the dormancy rule editor.
 * POSTs the form to data-preview-url 400 ms after the last edit and shows who
 * the changed rule would add and remove. Nothing is saved. */
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  if (!form || !form.dataset.previewUrl) { return; }
  var DELAY = 400;
  var timer = null;
  var latest = 0;
  var el = function (id) { return document.getElementById(id); };
  var status = el("preview-status");
  var errorsBox = el("preview-errors");
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function showStatus(text) {
    status.textContent = text || "";
    status.classList.toggle("d-none", !text);
  }

  function fillExamples(list, examples) {
    list.replaceChildren();
    if (!examples.length) {
      var none = document.createElement("li");
      none.className = "text-muted";
      none.textContent = list.dataset.empty;
      list.appendChild(none);
      return;
    }
    examples.forEach(function (example) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = example.url;
      link.textContent = example.name;
      item.appendChild(link);
      if (example.email !== example.name) {
        var email = document.createElement("span");
        email.className = "text-muted";
        email.textContent = example.email;
        item.appendChild(document.createTextNode(" "));
        item.appendChild(email);
      }
      list.appendChild(item);
    });
  }

  function showErrors(errors) {
    errorsBox.replaceChildren();
    var intro = document.createElement("div");
    intro.textContent = errorsBox.dataset.intro;
    errorsBox.appendChild(intro);
    var list = document.createElement("ul");
    list.className = "mb-0";
    Object.keys(errors).forEach(function (field) {
      errors[field].forEach(function (error) {
        var item = document.createElement("li");
        var label = form.querySelector("label[for='id_" + field + "']") ||
          form.querySelector("#div_id_" + field + " legend, #div_id_" + field + " .form-label");
        var prefix = label ? label.textContent.replace(/\*$/, "").trim() + ": " : "";
        item.textContent = prefix + error.message;
        list.appendChild(item);
      });
    });
    errorsBox.appendChild(list);
    errorsBox.classList.remove("d-none");
    ["preview-added", "preview-removed", "preview-total"].forEach(function (id) { el(id).textContent = "–"; });
    ["preview-added-examples", "preview-removed-examples"].forEach(function (id) {
      var placeholder = document.createElement("li");
      placeholder.className = "text-muted";
      placeholder.textContent = "–";
      el(id).replaceChildren(placeholder);
    });
  }

  function showImpact(data) {
    errorsBox.classList.add("d-none");
    el("preview-added").textContent = (data.added ? "+" : "") + numberFormat.format(data.added);
    el("preview-removed").textContent = (data.removed ? "−" : "") + numberFormat.format(data.removed);
    el("preview-total").textContent = numberFormat.format(data.total);
    fillExamples(el("preview-added-examples"), data.added_examples);
    fillExamples(el("preview-removed-examples"), data.removed_examples);
  }

  function refresh() {
    var request = ++latest;
    showStatus(status.dataset.loading);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRFToken": token, "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (request !== latest) { return; }  // a newer edit is on its way
      showStatus("");
      if (result.ok) { showImpact(result.data); } else { showErrors(result.data.errors || {}); }
      form.dataset.previewDone = String(request);
    }).catch(function () {
      if (request === latest) { showStatus(status.dataset.failed); }
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
}());
