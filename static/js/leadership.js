// Behaviour the pages need, kept out of the HTML: the Content-Security-Policy allows no inline
// script or event handler.

// A <select data-autosubmit> sends its form as soon as a choice is made. The form keeps a submit
// button inside <noscript> for browsers without JavaScript.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches("select[data-autosubmit]") && field.form) {
    if (field.form.requestSubmit) {
      field.form.requestSubmit();
    } else {
      field.form.submit();
    }
  }
});

// The board: "Tick all" in a column ticks (or unticks) every card shown in that column, and the
// tranche bar says how many roles are ticked.
function countTicked() {
  var counter = document.querySelector("[data-ticked-count]");
  if (counter) {
    var ticked = document.querySelectorAll('input[name="roles"][form="bulk-form"]:checked').length;
    counter.textContent = ticked ? ticked + (ticked === 1 ? " role ticked" : " roles ticked") : "";
  }
}
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.matches("input[data-tick-all]")) {
    var column = document.getElementById(box.getAttribute("data-tick-all"));
    if (column) {
      column.querySelectorAll('input[name="roles"]').forEach(function (role) {
        role.checked = box.checked;
      });
    }
  }
  if (box.matches("input[data-tick-all], input[name='roles']")) {
    countTicked();
  }
});
