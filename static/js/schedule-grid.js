// My Schedule's time grid as one composite widget (the WAI-ARIA grid pattern): one Tab
// stop, the arrow keys move between times, Home/End to the ends of a row (with Ctrl, of the
// grid), PageUp/PageDown to the previous/next week or day at the same place, Enter books
// the focused time (its link opens the New appointment dialog). Without this module the
// table is a plain table of links.

const STORE = "schedule-grid-focus";

function layOut(table) {
  // matrix[row][column] = the cell covering that place (a rowspan covers several rows).
  const matrix = [];
  [...table.rows].forEach((tr, r) => {
    matrix[r] = matrix[r] || [];
    let c = 0;
    for (const cell of tr.cells) {
      while (matrix[r][c]) c += 1;
      for (let k = 0; k < (cell.rowSpan || 1); k += 1) {
        matrix[r + k] = matrix[r + k] || [];
        matrix[r + k][c] = cell;
      }
      c += 1;
    }
  });
  return matrix;
}

function targetOf(cell) {
  return cell.querySelector("a") || cell;
}

function describe(cell, matrix, r, c) {
  // Give a cell without its own words a name: its day (column header) and time (row header).
  if (cell.querySelector("a") || cell.tagName === "TH" || cell.hasAttribute("aria-label")) return;
  const column = matrix[0][c]?.textContent.trim() || "";
  const time = matrix[r][0]?.textContent.trim() || "";
  let state = "no booking";
  if (cell.classList.contains("past")) state = "past";
  else if (cell.classList.contains("closed")) state = "practice closed";
  else if (cell.classList.contains("none")) state = "no such time (the clocks change)";
  cell.setAttribute("aria-label", `${column}, ${time}, ${state}`);
}

export function setUpGrid(table) {
  const matrix = layOut(table);
  if (matrix.length < 2) return;
  table.setAttribute("role", "grid");
  for (const cell of table.querySelectorAll("th, td")) {
    cell.tabIndex = -1;
  }
  for (const link of table.querySelectorAll("a")) link.tabIndex = -1;
  let row = 1;
  let col = 1;
  let current = null;

  const place = (cell) => {
    for (let r = 0; r < matrix.length; r += 1) {
      const c = matrix[r].indexOf(cell);
      if (c >= 0) return [r, c];
    }
    return null;
  };

  const setCurrent = (r, c, focus) => {
    const cell = matrix[r]?.[c];
    if (!cell) return;
    row = r;
    col = c;
    const target = targetOf(cell);
    if (current && current !== target) current.tabIndex = -1;
    current = target;
    target.tabIndex = 0;
    describe(cell, matrix, r, c);
    if (focus) target.focus();
  };

  // Start on the place saved by PageUp/PageDown, else the first free working time, else
  // the first free time, else the first day's first row.
  const saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
  sessionStorage.removeItem(STORE);
  if (saved && matrix[saved.row]?.[saved.col]) {
    setCurrent(saved.row, saved.col, true);
  } else {
    const first =
      table.querySelector("td.work a.slot")?.closest("td") ||
      table.querySelector("a.slot")?.closest("td") ||
      matrix[1][1];
    const at = place(first) || [1, 1];
    setCurrent(at[0], at[1], false);
  }

  table.addEventListener("focusin", (event) => {
    const cell = event.target.closest("td, th");
    if (!cell || !table.contains(cell) || matrix[row]?.[col] === cell) return;
    const at = place(cell);
    if (at) setCurrent(at[0], at[1], false);
  });

  const move = (dr, dc) => {
    const here = matrix[row][col];
    let r = row;
    let c = col;
    do {
      r += dr;
      c += dc;
    } while (matrix[r]?.[c] === here);
    if (matrix[r]?.[c]) setCurrent(r, c, true);
  };

  table.addEventListener("keydown", (event) => {
    if (event.altKey || event.metaKey) return;
    const last = matrix.length - 1;
    const keys = {
      ArrowRight: () => move(0, 1),
      ArrowLeft: () => move(0, -1),
      ArrowDown: () => move(1, 0),
      ArrowUp: () => move(-1, 0),
      Home: () => (event.ctrlKey ? setCurrent(1, 1, true) : setCurrent(row, 0, true)),
      End: () =>
        event.ctrlKey
          ? setCurrent(last, matrix[last].length - 1, true)
          : setCurrent(row, matrix[row].length - 1, true),
      PageUp: () => turn("prev"),
      PageDown: () => turn("next"),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  const turn = (rel) => {
    const link = document.querySelector(`.schedule-nav a[rel=${rel}]`);
    if (!link) return;
    sessionStorage.setItem(STORE, JSON.stringify({ row, col }));
    window.location.assign(link.href);
  };
}

for (const table of document.querySelectorAll("table[data-grid]")) setUpGrid(table);
