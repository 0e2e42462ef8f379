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
