// The labelling application: a live counter of the display text and a preview of how a
// called phone shows it. The server checks the text again (kabinet/numbers/services.py).
(function () {
  "use strict";
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) {
      return values[name];
    });
  }
  function setup() {
    var input = document.querySelector("[data-label-text]");
    if (!input) return;
    var max = parseInt(input.getAttribute("data-max"), 10) || 32;
    var allowed;
    try {
      allowed = new RegExp("^[" + input.getAttribute("data-allowed") + "]$", "u");
    } catch (e) {
      allowed = null;
    }
    var preview = document.querySelector("[data-label-preview-text]");
    var counter = document.querySelector("[data-label-counter]");
    var bad = document.querySelector("[data-label-bad]");
    var category = document.querySelector("select[name=category]");
    var categoryOut = document.querySelector("[data-label-preview-category]");
    function update() {
      var text = input.value.replace(/\s+/g, " ").trim();
      var chars = Array.from(text);
      if (preview) preview.textContent = chars.slice(0, max).join("");
      if (counter) {
        counter.textContent = format(counter.getAttribute("data-template"), {
          n: chars.length,
          max: max,
        });
        counter.classList.toggle("negative", chars.length > max);
      }
      if (bad && allowed) {
        var wrong = chars.filter(function (c) {
          return !allowed.test(c);
        });
        bad.hidden = wrong.length === 0;
        bad.textContent = format(bad.getAttribute("data-template"), {
          chars: Array.from(new Set(wrong)).join(" "),
        });
      }
      if (category && categoryOut) {
        var option = category.options[category.selectedIndex];
        categoryOut.textContent = option ? option.text : "";
      }
    }
    input.addEventListener("input", update);
    if (category) category.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
