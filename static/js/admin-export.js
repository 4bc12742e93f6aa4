// The export page's "Select all" box (templates/admin/import_export/export.html): ticks or
// clears every field's box. Here rather than in the library's inline onchange handler, which
// the content security policy blocks.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("input.select-toggle");
    if (!toggle) return;
    toggle.addEventListener("change", function () {
      document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]').forEach(function (box) {
        box.checked = toggle.checked;
      });
    });
  });
})();
