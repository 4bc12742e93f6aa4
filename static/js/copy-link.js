// "Copy link" beside a link to share (templates/practitioners/includes/copy_link.html).
// Progressive enhancement: without JavaScript the button stays hidden and the link is still
// visible and selectable. The status line is a live region, so screen readers announce it.
// A file, not an inline script: the content security policy allows scripts from this site only.
(function () {
  function say(status, text) {
    // Emptied first, then filled a moment later, so a second copy is announced again.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function copyBySelection(field) {
    // For browsers without the Clipboard API (or outside a secure context).
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("[data-app-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-app-copy"));
    var status = document.getElementById(button.getAttribute("data-app-copy") + "-status");
    if (!field || !status) {
      return;
    }
    function copied() {
      say(status, "Copied. The link is ready to paste into a message or email.");
    }
    function notCopied() {
      field.focus();
      field.select();
      say(status, "Your browser did not allow copying. The link is selected: copy it with your device's copy command.");
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, function () {
          if (copyBySelection(field)) { copied(); } else { notCopied(); }
        });
      } else if (copyBySelection(field)) {
        copied();
      } else {
        notCopied();
      }
    });
  });
})();
