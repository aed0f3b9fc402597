// The editor cabinet (Wagtail) gets the same "?" link as every other screen: it opens the
// help article for the admin page being shown.
(function () {
  "use strict";
  function addLink() {
    if (document.querySelector(".kabinet-admin-help")) return;
    var link = document.createElement("a");
    link.className = "kabinet-admin-help";
    link.href = "/help/editor/for-path/?path=" + encodeURIComponent(window.location.pathname);
    link.textContent = "?";
    link.title = document.documentElement.lang === "en" ? "Help for this screen" : "Справка по этому экрану";
    link.setAttribute("data-testid", "help-link");
    document.body.appendChild(link);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addLink);
  else addLink();
})();
