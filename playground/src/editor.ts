/**
 * The editor: CodeMirror 6 with TypeScript highlighting, the compiler's problems shown inline
 * (`@codemirror/lint` diagnostics at their ranges) as well as in the list below it, and
 * completion and hover answered by TypeScript's language service in the worker (`assist.ts`);
 * and a read-only viewer, with the same highlighting, for the other files of an example.
 */
import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { javascript } from "@codemirror/lang-javascript";
import { setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { hoverTooltip } from "@codemirror/view";
import { EditorView, basicSetup } from "codemirror";
import type { Completions, HoverInfo } from "./assist.js";
import type { Problem } from "./compile.js";

/** Where the editor asks for completions and hovers (the worker), at an offset of its text. */
export interface EditorAssist {
  complete(text: string, at: number): Promise<Completions>;
  hover(text: string, at: number): Promise<HoverInfo | undefined>;
}

/** The editor of the page. */
export class Editor {
  private readonly view: EditorView;

  /** Mounts an editor holding `text` in `parent`; `changed` is called after each edit. */
  constructor(parent: HTMLElement, text: string, changed: () => void, assist: EditorAssist) {
    const complete = async (context: CompletionContext): Promise<CompletionResult | null> => {
      // Explicitly (Ctrl-Space), after a dot, or once a word is begun.
      const word = context.matchBefore(/[\w$]+/);
      if (!context.explicit && word === null && context.state.sliceDoc(context.pos - 1, context.pos) !== ".") return null;
      const found = await assist.complete(context.state.doc.toString(), context.pos);
      if (context.aborted || found.options.length === 0) return null;
      return { from: found.from, options: found.options.map((o) => ({ label: o.label, type: o.type })), validFor: /^[\w$]*$/ };
    };
    const hover = hoverTooltip(async (view, pos) => {
      const info = await assist.hover(view.state.doc.toString(), pos);
      if (info === undefined) return null;
      return {
        pos: info.from,
        end: info.to,
        above: true,
        create: () => {
          const dom = document.createElement("div");
          dom.className = "hover";
          const signature = document.createElement("code");
          signature.textContent = info.signature;
          dom.append(signature);
          if (info.documentation !== "") {
            const doc = document.createElement("p");
            doc.textContent = info.documentation;
            dom.append(doc);
          }
          return { dom };
        },
      };
    });
    this.view = new EditorView({
      doc: text,
      parent,
      extensions: [basicSetup, javascript({ typescript: true }), autocompletion({ override: [complete] }), hover, EditorView.updateListener.of((u) => u.docChanged && changed())],
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

/** The viewer's extensions: the editor's highlighting, nothing to edit. */
const VIEWER = [basicSetup, javascript({ typescript: true }), EditorState.readOnly.of(true), EditorView.editable.of(false)];

/** A read-only view of a file (an example's file the module imports). */
export class Viewer {
  private readonly view: EditorView;

  /** Mounts an empty viewer in `parent`. */
  constructor(parent: HTMLElement) {
    this.view = new EditorView({ parent, extensions: VIEWER });
  }

  /** Shows `text`, with the cursor (and the view) at `offset`. */
  show(text: string, offset = 0): void {
    this.view.setState(EditorState.create({ doc: text, extensions: VIEWER, selection: { anchor: Math.min(offset, text.length) } }));
    this.view.dispatch({ scrollIntoView: true });
  }
}
