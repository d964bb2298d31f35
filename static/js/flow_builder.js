// Sequence and playbook builders: show only the fields a step's kind uses, add step rows.
(function () {
  "use strict";

  function syncStep(row) {
    var select = row.querySelector("select[name$='-kind']");
    if (!select) return;
    var kind = select.value;
    row.querySelectorAll("[data-show]").forEach(function (el) {
      el.classList.toggle("d-none", el.dataset.show.split(" ").indexOf(kind) === -1);
    });
    var wait = row.querySelector("[data-label-wait]"), limit = row.querySelector("[data-label-limit]");
    if (wait && limit) {
      wait.classList.toggle("d-none", kind === "wait_until");
      limit.classList.toggle("d-none", kind !== "wait_until");
    }
  }

  function renumber() {
    document.querySelectorAll("#steps [data-step]").forEach(function (row, index) {
      var number = row.querySelector(".step-number");
      if (number) number.textContent = String(index + 1);
    });
  }

  function syncTrigger() {
    var checked = document.querySelector("input[name='trigger_type']:checked");
    var touch = document.getElementById("touch-fields");
    if (touch && checked) touch.classList.toggle("d-none", checked.value !== "touch");
  }

  function syncPhase(row) {
    var select = row.querySelector("select[name$='-kind']");
    var template = row.querySelector("[data-template]");
    if (select && template) template.classList.toggle("invisible", select.value !== "email");
  }

  document.addEventListener("change", function (event) {
    var row = event.target.closest("[data-step]");
    if (row) syncStep(row);
    var phase = event.target.closest("[data-phase]");
    if (phase) syncPhase(phase);
    if (event.target.name === "trigger_type") syncTrigger();
  });

  var add = document.getElementById("add-step");
  if (add) {
    add.addEventListener("click", function () {
      var total = document.getElementById("id_steps-TOTAL_FORMS");
      var index = parseInt(total.value, 10);
      var html = document.getElementById("empty-step").innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      document.getElementById("steps").appendChild(row);
      total.value = String(index + 1);
      syncStep(row);
      renumber();
    });
  }

  document.querySelectorAll("[data-step]").forEach(syncStep);
  document.querySelectorAll("[data-phase]").forEach(syncPhase);
  syncTrigger();
})();
