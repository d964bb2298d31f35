// Import preview: the import button needs "import only the good rows" ticked when the file has bad rows.
// The server refuses anyway; this only makes the rule visible before submitting.
(function () {
  "use strict";
  var box = document.getElementById("id_import_good_rows");
  var button = document.getElementById("import-submit");
  if (!box || !button) { return; }
  var sync = function () { button.disabled = !box.checked; };
  box.addEventListener("change", sync);
  sync();
})();
