// Select Type: the documentation calls the button "Build" for destination functions and
// "Next: Build Function" for insert functions.
const build = document.getElementById("build");
for (const radio of document.querySelectorAll("input[name=type]")) {
  radio.addEventListener("change", () => {
    build.textContent = radio.value === "insert" ? "Next: Build Function" : "Build";
  });
}
