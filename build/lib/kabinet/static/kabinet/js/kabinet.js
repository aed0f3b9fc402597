// Kabinet's only script: small progressive enhancements. Everything works without it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (event.target.closest("[data-print]")) {
      window.print();
      return;
    }
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    // Close an open <details> menu when clicking elsewhere.
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  // Ask before destructive actions: <form data-confirm="Are you sure?">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // Tick every box of a list: <input type="checkbox" data-check-all="ids">
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-check-all");
    if (!name) return;
    var form = event.target.form || document;
    form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
  // A table wider than the screen scrolls sideways: make its box reachable and named for the
  // keyboard and screen readers (WCAG 2.1.1), only while it actually scrolls.
  function labelScrollingTables() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var table = box.querySelector("table");
        var caption = table && (table.getAttribute("aria-label") || (table.caption && table.caption.textContent));
        var heading = box.closest("section, .card, main");
        heading = heading && heading.querySelector("h1, h2, h3");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption || (heading && heading.textContent) || document.title).trim());
        box.setAttribute("data-scroll-labelled", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-labelled")) {
        ["tabindex", "role", "aria-label", "data-scroll-labelled"].forEach(function (name) {
          box.removeAttribute(name);
        });
      }
    });
  }
  document.addEventListener("DOMContentLoaded", labelScrollingTables);
  document.addEventListener("htmx:afterSettle", labelScrollingTables);
  window.addEventListener("resize", labelScrollingTables);
  // Auto-submit filter selects: <select data-autosubmit>
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
  });
})();
