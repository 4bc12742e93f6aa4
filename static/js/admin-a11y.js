// Accessibility repairs for Django's admin (axe finds these on the change form):
// - select2 autocompletes render a combobox and a search box with no accessible
//   name: give them the text of the <label> of the <select> they replace, and
//   put a <span> straight inside a <ul>: take the list semantics off;
// - tabular inlines render an empty <th class="original"> (and an empty "Delete?" header
//   for those who may not delete): give them hidden text,
//   and their cells' inputs have no <label>: name them after the column header.
// - on a narrow screen Django's admin lets an inline group scroll sideways; one a viewer
//   reads holds nothing focusable, so a keyboard could not scroll it: make the group a
//   named region that takes focus (only while it overflows, so it is no extra tab stop).
// A MutationObserver repeats this for inline rows added with "Add another".
(function () {
  "use strict";

  function labelFor(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label) return label.textContent.replace(/:\s*$/, "").trim();
    var cell = select.closest("td");
    var table = select.closest("table");
    if (cell && table) {
      var header = table.querySelectorAll("thead th")[cell.cellIndex];
      if (header) return header.textContent.trim();
    }
    return select.name || "Choose";
  }

  function repair(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var name = labelFor(select);
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      container.querySelectorAll('[role="combobox"], [role="textbox"]').forEach(function (el) {
        if (!el.getAttribute("aria-label")) el.setAttribute("aria-label", name);
      });
      // select2 puts a <span> straight inside its <ul> of chosen items; drop the list semantics.
      container.querySelectorAll("ul.select2-selection__rendered").forEach(function (ul) {
        if (ul.getAttribute("role") !== "none") ul.setAttribute("role", "none");
        Array.prototype.forEach.call(ul.children, function (child) {
          if (child.getAttribute("role") !== "none") child.setAttribute("role", "none");
        });
      });
      container.querySelectorAll("input.select2-search__field").forEach(function (el) {
        if (!el.getAttribute("aria-label")) el.setAttribute("aria-label", name);
      });
    });
    root.querySelectorAll(".tabular td input, .tabular td select, .tabular td textarea").forEach(function (el) {
      if (el.type === "hidden" || el.getAttribute("aria-label") || (el.id && document.querySelector('label[for="' + el.id + '"]'))) return;
      var cell = el.closest("td");
      var header = cell && el.closest("table").querySelectorAll("thead th")[cell.cellIndex];
      var text = header && header.textContent.trim();
      if (text) el.setAttribute("aria-label", text);
    });
    root.querySelectorAll("th.original").forEach(function (th) {
      if (!th.textContent.trim()) th.innerHTML = '<span class="visually-hidden">Record</span>';
    });
    // The last header is the "Delete?" column, left empty for someone who may not delete
    // (a viewer reading a service): name it for what its cells then hold, nothing.
    root.querySelectorAll(".tabular thead tr").forEach(function (row) {
      var last = row.lastElementChild;
      if (last && last.tagName === "TH" && !last.textContent.trim()) {
        last.innerHTML = '<span class="visually-hidden">Delete</span>';
      }
    });
  }

  var FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";

  function scrollable(root) {
    root.querySelectorAll(".inline-group").forEach(function (group) {
      var overflows = group.scrollWidth > group.clientWidth + 1;
      var ours = group.getAttribute("data-app-scroll") === "1";
      if (overflows && !ours && !group.querySelector(FOCUSABLE)) {
        var heading = group.querySelector("h2");
        if (heading) {
          if (!heading.id) heading.id = group.id + "-heading";
          group.setAttribute("aria-labelledby", heading.id);
        }
        group.setAttribute("role", "region");
        group.setAttribute("tabindex", "0");
        group.setAttribute("data-app-scroll", "1");
      } else if (!overflows && ours) {
        group.removeAttribute("tabindex");
        group.removeAttribute("role");
        group.removeAttribute("aria-labelledby");
        group.removeAttribute("data-app-scroll");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    repair(document);
    scrollable(document);
    window.addEventListener("resize", function () { scrollable(document); });
    new MutationObserver(function () { repair(document); }).observe(document.body, { childList: true, subtree: true });
  });
})();
