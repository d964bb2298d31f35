// Recurring newsletter form: the cron field is only typed into for "Custom"; a preset shows its expression.
(function () {
  "use strict";
  var form = document.getElementById("recurring-form");
  if (!form) { return; }
  var cron = form.querySelector("input[name=schedule]");
  var radios = form.querySelectorAll("input[name=preset]");
  var typed = cron.value;
  function sync() {
    var chosen = form.querySelector("input[name=preset]:checked");
    var custom = !chosen || chosen.value === "custom";
    if (custom) {
      cron.readOnly = false;
      cron.value = typed;
    } else {
      if (!cron.readOnly) { typed = cron.value; }
      cron.readOnly = true;
      cron.value = chosen.value;
    }
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      sync();
      if (radio.value === "custom") { cron.focus(); }
    });
  });
  sync();
})();
