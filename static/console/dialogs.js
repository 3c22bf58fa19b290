// Buttons with data-dialog="ID" open the <dialog id="ID">; data-close buttons close theirs.
for (const opener of document.querySelectorAll("[data-dialog]")) {
  opener.addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById(opener.dataset.dialog).showModal();
  });
}
for (const closer of document.querySelectorAll("dialog [data-close]")) {
  closer.addEventListener("click", (event) => {
    event.preventDefault();
    closer.closest("dialog").close();
  });
}
