/**
 * Server-side pagination of the printed board. CSS paged media cannot print "第 k 页 / 共 N 页"
 * in Chromium (no margin boxes, no page counters in content), so the page is laid out here:
 * every printed item has a known height in millimetres (the print CSS fixes it and clips what
 * would overflow), and items are packed greedily into A4 sheets whose body height is known. A
 * group (the entries table, the red/black lists) repeats its header on every sheet it is on,
 * and the header's height is counted there. The first sheet's body is shorter (the big header
 * with the QR codes). Pure, so the rows-per-page arithmetic has unit tests.
 */
export interface PrintItem<T> {
  /** Items of one group on one sheet are printed as one table under one header. */
  group: string;
  heightMm: number;
  data: T;
}

export interface SheetLayout {
  /** Body height of the first sheet (after its big header), in mm. */
  firstBodyMm: number;
  /** Body height of every later sheet (after the running header), in mm. */
  bodyMm: number;
  /** Height of each group's header, counted once per sheet the group is on. */
  groupHeaderMm: Record<string, number>;
}

export function paginate<T>(items: ReadonlyArray<PrintItem<T>>, layout: SheetLayout): Array<Array<PrintItem<T>>> {
  const sheets: Array<Array<PrintItem<T>>> = [];
  let sheet: Array<PrintItem<T>> = [];
  let used = 0;
  let capacity = layout.firstBodyMm;
  const need = (item: PrintItem<T>) => item.heightMm + (sheet.some((x) => x.group === item.group) ? 0 : (layout.groupHeaderMm[item.group] ?? 0));
  for (const item of items) {
    if (sheet.length > 0 && used + need(item) > capacity) {
      sheets.push(sheet);
      sheet = [];
      used = 0;
      capacity = layout.bodyMm;
    }
    used += need(item);
    sheet.push(item);
  }
  sheets.push(sheet);
  return sheets;
}

/** Consecutive items of the same group on a sheet: each run is printed as one table. */
export function runsOf<T>(sheet: ReadonlyArray<PrintItem<T>>): Array<{ group: string; items: Array<PrintItem<T>> }> {
  const runs: Array<{ group: string; items: Array<PrintItem<T>> }> = [];
  for (const item of sheet) {
    const last = runs[runs.length - 1];
    if (last && last.group === item.group) last.items.push(item);
    else runs.push({ group: item.group, items: [item] });
  }
  return runs;
}
