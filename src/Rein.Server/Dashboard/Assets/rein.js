// Rein dashboard: the little behaviour the pages need. Loaded from /assets/rein.js because the Content-Security-Policy
// allows no inline script or event-handler attributes. Every page works without it; it only adds confirmations and
// the copy button.
"use strict";

(() => {
  // <form data-confirm="question">: ask before submitting a destructive action.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    const question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <button data-copy="element-id" hidden>: copies that element's text. The button stays hidden without script, since
  // it could do nothing then.
  const copyButtons = document.querySelectorAll("button[data-copy]");
  for (const button of copyButtons) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) {
        return;
      }
      const text = source.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch {
        // No clipboard access (an insecure origin, or permission refused): select the text so Ctrl+C copies it.
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
  }
})();
