// The admin's widgets built by script get the names they lack (WCAG 4.1.2), as they appear:
// - each field of a tabular inline (one row per step, say) is named by its column's header and row;
// - a searchable select (select2) is named by its field's label;
// - the "?" help icons of the two-box select carry role="img" so their aria-label is allowed.
(function () {
  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function nameInlineFields(root) {
    root.querySelectorAll(".tabular table").forEach(function (table) {
      var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), text);
      table.querySelectorAll("tbody tr").forEach(function (row, index) {
        var cells = row.querySelectorAll("td");
        cells.forEach(function (cell) {
          var column = Array.prototype.indexOf.call(row.children, cell);
          var header = headers[column] || "";  // Django's tabular inline: one header per cell
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
            if (!field.labels.length && !field.hasAttribute("aria-label") && header) {
              field.setAttribute("aria-label", header + ", row " + (index + 1));
            }
          });
        });
      });
    });
  }

  function nameSearchableSelects(root) {
    // The box (a combobox) and the text shown in it (a read-only textbox) both need the name.
    root.querySelectorAll(".select2-selection[role=combobox], .select2-selection__rendered[role=textbox]").forEach(function (box) {
      if (box.hasAttribute("aria-label")) {
        return;
      }
      var container = box.closest(".select2-container");
      var select = container && container.previousElementSibling;
      var label = select && select.id ? document.querySelector("label[for='" + select.id + "']") : null;
      if (label) {
        box.setAttribute("aria-label", text(label).replace(/:$/, ""));
      }
    });
  }

  function roleForHelpIcons(root) {
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function fix() {
    nameInlineFields(document);
    nameSearchableSelects(document);
    roleForHelpIcons(document);
  }

  document.addEventListener("DOMContentLoaded", function () {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  });
})();
