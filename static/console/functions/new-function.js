// Select Type: the documentation calls the button "Build" for destination functions and
// "Next: Build Function" for insert functions. Labelled from the checked type when the
// script runs too: a type picked before this module loaded (it runs after the page is
// parsed) fired its change event with no listener yet.
const build = document.getElementById("build");
const label = () => {
  const checked = document.querySelector("input[name=type]:checked");
  build.textContent = checked && checked.value === "insert" ? "Next: Build Function" : "Build";
};
for (const radio of document.querySelectorAll("input[name=type]")) {
  radio.addEventListener("change", label);
}
label();
