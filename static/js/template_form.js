// Template editor: a personal template is plain text only, so its HTML part is hidden.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var htmlPart = document.getElementById("html-part");
  var note = document.getElementById("personal-note");
  if (!form || !htmlPart || !note) { return; }
  function sync() {
    var checked = form.querySelector("input[name=style]:checked");
    var personal = checked && checked.value === "personal";
    htmlPart.classList.toggle("d-none", personal);
    note.classList.toggle("d-none", !personal);
  }
  form.querySelectorAll("input[name=style]").forEach(function (input) { input.addEventListener("change", sync); });
  sync();
})();
