// "Print this list": printing needs JavaScript; without it the browser's own Print menu does the same.
document.querySelectorAll("[data-app-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
