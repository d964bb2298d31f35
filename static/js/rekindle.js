// Behaviour shared by every page, in place of inline handlers (the Content-Security-Policy allows no inline script).
//   <select data-autosubmit>            submits its form when changed (language switch, preview contract);
//   <form data-confirm="question">      asks before submitting (deleting a template).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
