/**
 * The editor: CodeMirror 6 with TypeScript highlighting, and the compiler's problems shown inline
 * (`@codemirror/lint` diagnostics at their ranges) as well as in the list below it.
 */
import { javascript } from "@codemirror/lang-javascript";
import { setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorView, basicSetup } from "codemirror";
import type { Problem } from "./compile.js";

/** The editor of the page. */
export class Editor {
  private readonly view: EditorView;

  /** Mounts an editor holding `text` in `parent`; `changed` is called after each edit. */
  constructor(parent: HTMLElement, text: string, changed: () => void) {
    this.view = new EditorView({
      doc: text,
      parent,
      extensions: [basicSetup, javascript({ typescript: true }), EditorView.updateListener.of((u) => u.docChanged && changed())],
    });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  set text(text: string) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Shows `problems` inline. */
  showProblems(problems: readonly Problem[]): void {
    const length = this.view.state.doc.length;
    const diagnostics: Diagnostic[] = problems.map((p) => ({
      from: Math.min(p.from, length),
      to: Math.min(Math.max(p.to, p.from), length),
      severity: p.severity,
      source: p.source,
      message: p.message,
    }));
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics));
  }

  /** Moves the cursor to `line`:`column` (1-based) and focuses the editor. */
  reveal(offset: number): void {
    this.view.dispatch({ selection: { anchor: Math.min(offset, this.view.state.doc.length) }, scrollIntoView: true });
    this.view.focus();
  }
}
