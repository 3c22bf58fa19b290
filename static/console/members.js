// Show the scope choice and the list a role can be limited to (functions or sources) only
// when they apply; without this script every field stays visible and the server decides.
const LISTS = { functions_admin: "functions", functions_readonly: "functions", source_admin: "sources" };

for (const form of document.querySelectorAll("form")) {
  const role = form.querySelector("select[name$='-role']");
  if (!role) continue;
  const update = () => {
    const list = LISTS[role.value];
    const chosen = form.querySelector("input[name$='-scope'][value='chosen']").checked;
    form.querySelector("[data-scope]").hidden = !list;
    for (const fieldset of form.querySelectorAll("[data-list]")) {
      fieldset.hidden = !(list && chosen && fieldset.dataset.list === list);
    }
  };
  form.addEventListener("change", update);
  update();
}
