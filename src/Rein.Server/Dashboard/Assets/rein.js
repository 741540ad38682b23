// Rein dashboard: the little behaviour the pages need. Loaded from /assets/rein.js because the Content-Security-Policy
// allows no inline script or event-handler attributes. Every page but the run page's span detail works without it; it
// adds confirmations, the copy button and the run page's waterfall (selection, keyboard, folding).
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

  // The run page's waterfall: an ARIA tree drawn as a flat list of rows in document order, each with aria-level.
  // A row's subtree is the rows after it with a deeper level, so folding needs no nesting in the markup. Selecting a
  // row fetches that span's detail fragment into the panel and puts #span-<id> in the address.
  const tree = document.getElementById("waterfall");
  const detail = document.getElementById("span-detail");
  if (tree && detail) {
    const base = detail.getAttribute("data-base");
    let focused = tree.querySelector(".wf-row[tabindex='0']");
    let selected = null;
    let loading = null;
    let pending = 0;

    const level = (row) => Number(row.getAttribute("aria-level"));
    const isRow = (element) => element instanceof HTMLElement && element.classList.contains("wf-row");

    const nextVisible = (row) => {
      let r = row.nextElementSibling;
      while (r && r.hidden) {
        r = r.nextElementSibling;
      }
      return r;
    };

    const previousVisible = (row) => {
      let r = row.previousElementSibling;
      while (r && r.hidden) {
        r = r.previousElementSibling;
      }
      return r;
    };

    const parentOf = (row) => {
      const l = level(row);
      if (l <= 1) {
        return null;
      }
      let r = row.previousElementSibling;
      while (r && level(r) >= l) {
        r = r.previousElementSibling;
      }
      return r;
    };

    // Shows or hides a row's subtree; expanding keeps the subtrees of folded descendants folded.
    const setExpanded = (row, expanded) => {
      if (!row.hasAttribute("aria-expanded")) {
        return;
      }
      row.setAttribute("aria-expanded", String(expanded));
      const l = level(row);
      let foldedAt = Infinity;
      for (let r = row.nextElementSibling; r && level(r) > l; r = r.nextElementSibling) {
        const rl = level(r);
        if (!expanded) {
          r.hidden = true;
        } else if (rl > foldedAt) {
          r.hidden = true;
        } else {
          foldedAt = r.getAttribute("aria-expanded") === "false" ? rl : Infinity;
          r.hidden = false;
        }
      }
    };

    const focusRow = (row) => {
      if (!row) {
        return;
      }
      if (focused && focused !== row) {
        focused.tabIndex = -1;
      }
      row.tabIndex = 0;
      focused = row;
      row.focus();
    };

    const showProblem = (text) => {
      detail.replaceChildren();
      const heading = document.createElement("h2");
      heading.id = "span-detail-heading";
      heading.textContent = "Span";
      const message = document.createElement("p");
      message.className = "alert alert-error";
      message.setAttribute("role", "alert");
      message.textContent = text;
      detail.append(heading, message);
    };

    const load = async (row) => {
      loading?.abort();
      const controller = new AbortController();
      loading = controller;
      detail.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(base + row.id.slice("span-".length), {
          signal: controller.signal,
          credentials: "same-origin",
          headers: { Accept: "text/html" },
        });
        if (!response.ok) {
          showProblem(response.status === 404
            ? "This span is no longer stored."
            : `The span could not be loaded (HTTP ${response.status}). Reload the page to try again.`);
          return;
        }
        const html = await response.text();
        if (loading === controller) {
          // The fragment is this server's own Razor output, encoded there; it carries no script.
          detail.innerHTML = html;
        }
      } catch (error) {
        if (error.name !== "AbortError") {
          showProblem("The span could not be loaded: the server did not answer. Reload the page to try again.");
        }
      } finally {
        if (loading === controller) {
          detail.removeAttribute("aria-busy");
          loading = null;
        }
      }
    };

    const select = (row, { updateAddress = true, delay = 0 } = {}) => {
      if (!row) {
        return;
      }
      // A selected span is always visible: unfold its ancestors, outermost first.
      const ancestors = [];
      for (let p = parentOf(row); p; p = parentOf(p)) {
        ancestors.unshift(p);
      }
      for (const ancestor of ancestors) {
        if (ancestor.getAttribute("aria-expanded") === "false") {
          setExpanded(ancestor, true);
        }
      }
      if (selected && selected !== row) {
        selected.removeAttribute("aria-selected");
      }
      selected = row;
      row.setAttribute("aria-selected", "true");
      if (updateAddress && location.hash !== "#" + row.id) {
        history.replaceState(null, "", "#" + row.id);
      }
      // Holding an arrow key selects row after row; only the one it stops at is fetched.
      const ticket = ++pending;
      if (delay > 0) {
        setTimeout(() => ticket === pending && load(row), delay);
      } else {
        load(row);
      }
    };

    const fromHash = () => {
      if (!location.hash.startsWith("#span-")) {
        return null;
      }
      const row = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      return isRow(row) && tree.contains(row) ? row : null;
    };

    tree.addEventListener("click", (event) => {
      const row = event.target instanceof Element ? event.target.closest(".wf-row") : null;
      if (!row) {
        return;
      }
      // The fold marker is drawn before the name, after the indentation: a click there folds rather than selects.
      if (row.hasAttribute("aria-expanded")) {
        const name = row.querySelector(".wf-name");
        const left = name.getBoundingClientRect().left + parseFloat(getComputedStyle(name).paddingLeft);
        if (event.clientX >= left - 2 && event.clientX <= left + 16) {
          setExpanded(row, row.getAttribute("aria-expanded") !== "true");
          focusRow(row);
          return;
        }
      }
      focusRow(row);
      select(row);
    });

    tree.addEventListener("keydown", (event) => {
      const row = event.target instanceof Element ? event.target.closest(".wf-row") : null;
      if (!row || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      let target = null;
      switch (event.key) {
        case "ArrowDown":
          target = nextVisible(row);
          break;
        case "ArrowUp":
          target = previousVisible(row);
          break;
        case "Home":
          target = tree.firstElementChild;
          break;
        case "End":
          target = tree.lastElementChild;
          while (target && target.hidden) {
            target = target.previousElementSibling;
          }
          break;
        case "ArrowRight":
          if (row.getAttribute("aria-expanded") === "false") {
            setExpanded(row, true);
          } else if (row.getAttribute("aria-expanded") === "true") {
            const child = nextVisible(row);
            target = child && level(child) > level(row) ? child : null;
          }
          break;
        case "ArrowLeft":
          if (row.getAttribute("aria-expanded") === "true") {
            setExpanded(row, false);
          } else {
            target = parentOf(row);
          }
          break;
        case "Enter":
        case " ":
          select(row);
          break;
        default:
          return;
      }
      event.preventDefault();
      if (target) {
        focusRow(target);
        select(target, { delay: 150 });
      }
    });

    window.addEventListener("hashchange", () => {
      const row = fromHash();
      if (row && row !== selected) {
        select(row, { updateAddress: false });
        row.scrollIntoView({ block: "nearest" });
        focusRow(row);
      }
    });

    const initial = fromHash();
    if (initial) {
      select(initial, { updateAddress: false });
      initial.scrollIntoView({ block: "center" });
      if (focused && focused !== initial) {
        focused.tabIndex = -1;
      }
      initial.tabIndex = 0;
      focused = initial;
    }
  }
})();
