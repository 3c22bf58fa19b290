// Versions: side-by-side diffs (CodeMirror's merge view) of code and settings.
import { diffView } from "../dist/editor.js";

const diff = JSON.parse(document.getElementById("version-diff").textContent);
diffView(document.getElementById("diff-code"), { a: diff.a, b: diff.b, language: "javascript" });
diffView(document.getElementById("diff-settings"), { a: diff.settingsA, b: diff.settingsB });
