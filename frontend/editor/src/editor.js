// The console's editor components, bundled by esbuild into static/console/dist/editor.js (`make install`).
// Pages import these three factories; everything else is CodeMirror's own.
import { basicSetup } from "codemirror";
import { EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { linter, lintGutter, setDiagnostics } from "@codemirror/lint";
import { MergeView } from "@codemirror/merge";

function baseExtensions({ label, readOnly, onChange }) {
  const extensions = [
    basicSetup,
    EditorView.contentAttributes.of({ "aria-label": label }),
    EditorState.readOnly.of(Boolean(readOnly)),
    EditorView.editable.of(!readOnly),
  ];
  if (!readOnly) extensions.push(keymap.of([indentWithTab]));
  if (onChange) {
    extensions.push(EditorView.updateListener.of((u) => u.docChanged && onChange(u.state)));
  }
  return extensions;
}

function shortcuts({ onSave, onRun }) {
  // Above the default keymap: Mod-Enter would otherwise insert a blank line.
  const run = (fn) => () => { if (fn) fn(); return Boolean(fn); };
  return Prec.highest(keymap.of([
    { key: "Mod-s", run: run(onSave), preventDefault: true },
    { key: "Mod-Enter", run: run(onRun), preventDefault: true },
  ]));
}

/** The code editor: JavaScript, line numbers, brackets, search (Mod-f), lint gutter. */
export function codeEditor(parent, options) {
  const view = new EditorView({
    parent,
    doc: options.doc || "",
    extensions: [
      ...baseExtensions({ label: "Code", ...options }),
      javascript(),
      lintGutter(),
      shortcuts(options),
    ],
  });
  return {
    view,
    get value() { return view.state.doc.toString(); },
    set value(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    /** Marks `line` (1-based) with `message`; no line clears the marks. */
    markError(line, message) {
      const diagnostics = [];
      if (line && line <= view.state.doc.lines) {
        const at = view.state.doc.line(line);
        diagnostics.push({ from: at.from, to: at.to, severity: "error", message });
      }
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
  };
}

/** A JSON editor (the test Payload), with JSON syntax errors marked as you type. */
export function jsonEditor(parent, options) {
  const view = new EditorView({
    parent,
    doc: options.doc || "",
    extensions: [
      ...baseExtensions({ label: options.label || "Payload", ...options }),
      json(),
      linter(jsonParseLinter()),
      lintGutter(),
      shortcuts(options),
    ],
  });
  return {
    view,
    get value() { return view.state.doc.toString(); },
    set value(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
  };
}

/** A read-only side-by-side diff: `a` (left) against `b` (right). */
export function diffView(parent, { a, b, language }) {
  const common = [
    basicSetup,
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    ...(language === "javascript" ? [javascript()] : []),
  ];
  return new MergeView({
    parent,
    a: { doc: a, extensions: common },
    b: { doc: b, extensions: common },
    collapseUnchanged: { margin: 3, minSize: 6 },
  });
}
