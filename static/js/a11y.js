// A region that scrolls sideways (the board, a wide table, the timeline) can be scrolled with the
// keyboard: it takes focus and is named after its caption or heading (WCAG 2.1.1, axe's
// scrollable-region-focusable). Kept out of the HTML for the Content-Security-Policy.
(function () {
  function name(region) {
    var caption = region.querySelector("caption");
    if (caption && caption.textContent.trim()) {
      return caption.textContent.trim();
    }
    var heading = region.previousElementSibling;
    if (heading && /^H[1-6]$/.test(heading.tagName)) {
      return heading.textContent.trim();
    }
    return "Scrollable area";
  }

  function label(region) {
    if (region.hasAttribute("tabindex")) {
      return;
    }
    region.setAttribute("tabindex", "0");
    if (!region.hasAttribute("role")) {
      region.setAttribute("role", "region");
    }
    if (!region.hasAttribute("aria-label") && !region.hasAttribute("aria-labelledby")) {
      region.setAttribute("aria-label", name(region));
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".board, .table-responsive, .timeline-wrap, [data-scroll-region]").forEach(label);
    // The place's tab for this page says so to a screen reader, not by its look alone.
    document.querySelectorAll(".nav-tabs .nav-link.active:not([aria-current])").forEach(function (tab) {
      tab.setAttribute("aria-current", "page");
    });
  });
})();
