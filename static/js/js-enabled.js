// Runs first in <body> (not deferred) so CSS can tell JavaScript is on before anything paints.
// A file, not an inline script: the content security policy allows scripts from this site only.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
