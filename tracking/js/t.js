/* Rekindle website tracking: page views to the beacon, a contact token from our mail links kept in a
   first-party cookie. No dependencies. Add to every page:
   <script async src="https://REKINDLE/t.js" data-site="SITE_KEY"></script> */
(function (w, d) {
  "use strict";
  var me = d.currentScript;
  if (!me || w.rekindle) return;
  var key = me.getAttribute("data-site") || "";
  var base = me.src.replace(/\/t\.js(\?.*)?$/, "");
  var DAYS = 365;

  function cookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function setCookie(name, value, days) {
    d.cookie = name + "=" + encodeURIComponent(value) + "; Max-Age=" + days * 86400 + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  function randomId() {
    var a = new Uint8Array(16), s = "", i;
    (w.crypto || w.msCrypto).getRandomValues(a);
    for (i = 0; i < a.length; i++) s += ("0" + a[i].toString(16)).slice(-2);
    return s;
  }
  function withoutToken(href) {
    return href.replace(/([?&])rk=[^&#]*(&?)/, function (all, sep, more) { return more ? sep : ""; })
               .replace(/[?&](#|$)/, "$1");
  }

  // A link from our mail carries ?rk=<signed contact token>: keep it, and take it out of the address bar.
  var found = /[?&]rk=([^&#]+)/.exec(location.search);
  if (found) {
    setCookie("_rk", decodeURIComponent(found[1]), DAYS);
    if (w.history && history.replaceState) history.replaceState(history.state, "", withoutToken(location.href));
  }
  var visitor = cookie("_rkv");
  if (!/^[A-Za-z0-9_-]{8,40}$/.test(visitor)) { visitor = randomId(); }
  setCookie("_rkv", visitor, DAYS);

  function pageview() {
    var body = JSON.stringify({k: key, u: withoutToken(location.href).slice(0, 2000), t: d.title.slice(0, 500),
                               r: withoutToken(d.referrer || "").slice(0, 2000), rk: cookie("_rk"), v: visitor});
    // text/plain keeps it a simple CORS request (no preflight); keepalive lets it finish when the page unloads.
    if (w.fetch) {
      fetch(base + "/t/e", {method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit",
                            headers: {"Content-Type": "text/plain"}})
        .then(function (r) { if (r.status === 400 && cookie("_rk")) setCookie("_rk", "", -1); })
        ["catch"](function () {});
    } else if (navigator.sendBeacon) {
      navigator.sendBeacon(base + "/t/e", body);
    }
  }

  // Forms that post to Rekindle (<form action="https://REKINDLE/t/f">) carry the site key and visitor id, so the
  // visitor's earlier page views join the contact the form creates or finds.
  function tagForms() {
    var forms = d.querySelectorAll("form[action^='" + base + "/t/f']"), i, f;
    for (i = 0; i < forms.length; i++) {
      f = forms[i];
      [["site", key], ["visitor", visitor], ["page", withoutToken(location.href)]].forEach(function (pair) {
        var input = f.querySelector("input[name='" + pair[0] + "']");
        if (!input) { input = d.createElement("input"); input.type = "hidden"; input.name = pair[0]; f.appendChild(input); }
        if (!input.value) input.value = pair[1];
      });
    }
  }

  w.rekindle = {visitorId: visitor, pageview: pageview};
  pageview();
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", tagForms); else tagForms();
})(window, document);
