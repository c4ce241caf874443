// The one shape every check reports in: located, plain, with a fix where there is one.

export interface Problem {
  /** Index of the cell; -1 for a problem with the whole file. */
  cell: number;
  /** 0-based, relative to the cell's text. */
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: 'error' | 'warning' | 'info';
  /** Stable identifier of the rule (e.g. `unknown-key`), for tests and filtering. */
  code: string;
  message: string;
  /** A replacement for the problem's range that fixes it. */
  fix?: { title: string; newText: string };
}

export const MAX_PROBLEMS_PER_CELL = 50;
