// Alert inbox: poll the feed every 2 s, swap in the new list when it changed, and raise a desktop
// notification for each alert that is new since the page loaded (if the rep allowed notifications).
(function () {
  "use strict";
  var box = document.getElementById("alert-inbox");
  if (!box) { return; }
  var INTERVAL = 2000;
  var feedUrl = box.dataset.feedUrl;
  var version = box.dataset.version;
  var known = {};
  box.querySelectorAll("[data-alert]").forEach(function (el) { known[el.dataset.alert] = true; });

  var button = document.getElementById("notify-permission");
  var state = document.getElementById("notify-state");
  function showPermission() {
    if (!("Notification" in window)) { return; }
    var granted = Notification.permission === "granted";
    button.classList.toggle("d-none", granted || Notification.permission === "denied");
    state.classList.toggle("d-none", !granted);
  }
  if (button) {
    button.addEventListener("click", function () {
      Notification.requestPermission().then(showPermission);
    });
    showPermission();
  }

  function notify(alerts) {
    alerts.forEach(function (alert) {
      var id = String(alert.id);
      if (known[id]) { return; }
      known[id] = true;
      if ("Notification" in window && Notification.permission === "granted") {
        // title and body are plain text: the Notification API never renders HTML.
        var n = new Notification(box.dataset.newLabel + ": " + alert.title, { body: alert.body, tag: "alert-" + id });
        n.onclick = function () { window.focus(); n.close(); };
      }
    });
  }

  function busy() {
    // Do not replace the list under a rep who is typing a note or choosing an outcome.
    var active = document.activeElement;
    return active && box.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function poll() {
    if (busy()) { return setTimeout(poll, INTERVAL); }
    fetch(feedUrl + "?v=" + encodeURIComponent(version), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 204) { return null; }
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data && !busy()) {
          version = data.v;
          box.innerHTML = data.html;  // rendered and escaped by Django's templates
          notify(data.open);
          box.dataset.version = version;
        }
      })
      .catch(function () { /* offline or logged out: try again */ })
      .then(function () { setTimeout(poll, INTERVAL); });
  }
  setTimeout(poll, INTERVAL);
})();
