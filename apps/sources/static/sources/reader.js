/*
 * The reader's selection: turns text selected in one paragraph into offsets in the source's stored text and points
 * the cite panel's links at the record forms with ?cite_source=&cite_start=&cite_end=. The server cuts the quote
 * from its own copy of the text and computes the selector, so nothing typed or copied here can drift from it.
 *
 * Offsets are counted in Unicode code points, as Python indexes the stored text; a paragraph's element holds exactly
 * that paragraph's text, its first character at data-start.
 */
"use strict";
(function () {
  const reader = document.getElementById("reader");
  const panel = document.getElementById("cite-panel");
  if (!reader || !panel) {
    return;
  }
  const exactOut = document.getElementById("cite-exact");
  const paragraphOut = document.getElementById("cite-paragraph");
  const problemOut = document.getElementById("cite-problem");
  const existing = document.getElementById("cite-existing");
  const source = reader.dataset.source;

  function codePoints(text) {
    return Array.from(text).length;
  }

  function paragraphOf(node) {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return element ? element.closest(".para-text") : null;
  }

  // Characters (code points) from the start of the paragraph's text to a boundary point of the selection.
  function offsetIn(paragraph, node, offset) {
    const range = document.createRange();
    range.setStart(paragraph, 0);
    range.setEnd(node, offset);
    return codePoints(range.toString());
  }

  function show(problem) {
    panel.hidden = false;
    problemOut.hidden = !problem;
    problemOut.textContent = problem || "";
    panel.querySelectorAll(".cite-actions, .cite-existing, .cite-selection").forEach(function (part) {
      part.hidden = Boolean(problem);
    });
  }

  function update() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0) {
      return;
    }
    const range = selection.getRangeAt(0);
    if (!reader.contains(range.commonAncestorContainer)) {
      return; // a click in the panel itself (its inputs) keeps the last selection
    }
    if (range.collapsed) {
      panel.hidden = true;
      return;
    }
    const first = paragraphOf(range.startContainer);
    const last = paragraphOf(range.endContainer);
    if (!first || first !== last) {
      show("Select words within one paragraph: a quote is one or two sentences of a single paragraph.");
      return;
    }
    const text = Array.from(first.textContent);
    let start = offsetIn(first, range.startContainer, range.startOffset);
    let end = offsetIn(first, range.endContainer, range.endOffset);
    // A double click or a drag often takes the space around the words too; a quote starts and ends on a word.
    while (start < end && /\s/.test(text[start])) {
      start += 1;
    }
    while (end > start && /\s/.test(text[end - 1])) {
      end -= 1;
    }
    if (start === end) {
      panel.hidden = true;
      return;
    }
    const base = Number(first.dataset.start);
    const query = new URLSearchParams({
      cite_source: source,
      cite_start: String(base + start),
      cite_end: String(base + end),
    });
    exactOut.textContent = text.slice(start, end).join("");
    paragraphOut.textContent = first.closest(".para").dataset.paragraph;
    panel.querySelectorAll("a.cite-new").forEach(function (link) {
      link.href = link.dataset.addUrl + "?" + query.toString();
    });
    if (existing) {
      existing.elements.cite_start.value = query.get("cite_start");
      existing.elements.cite_end.value = query.get("cite_end");
    }
    show("");
  }

  let pending = null;
  document.addEventListener("selectionchange", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 80);
  });
  reader.addEventListener("mouseup", update);
  reader.addEventListener("keyup", update);
})();
