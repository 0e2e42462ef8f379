// The role form: choosing the template role a role is derived from fills in its title, type and
// functions (the data is the page's <script type="application/json" id="template-roles">). A title
// the user typed is kept; one that was the previous template role's title is replaced.
(function () {
  var data = document.getElementById("template-roles");
  var select = document.querySelector("select[data-fills-from-template]");
  if (!data || !select) {
    return;
  }
  var templates = JSON.parse(data.textContent);
  var previous = templates[select.value];

  select.addEventListener("change", function () {
    var chosen = templates[select.value];
    var form = select.form;
    if (!chosen || !form) {
      previous = chosen;
      return;
    }
    var title = form.elements.namedItem("title");
    if (title && (!title.value.trim() || (previous && title.value === previous.title))) {
      title.value = chosen.title;
    }
    var type = form.elements.namedItem("role_type");
    if (type) {
      type.value = chosen.role_type;
    }
    form.querySelectorAll("input[name='functions']").forEach(function (box) {
      box.checked = chosen.functions.indexOf(Number(box.value)) !== -1;
    });
    previous = chosen;
  });
})();
