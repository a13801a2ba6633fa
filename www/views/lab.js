// @ts-check
/**
 * The labs' results: the race lab's three counters side by side, the isolation lab's
 * parent and process counters. Built with textContent only: nothing here is HTML.
 */

/**
 * @param {string} tag
 * @param {string} [text]
 * @param {string} [cls]
 */
function el(tag, text = '', cls = '') {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** @param {string[][]} rows @param {string[]} head @param {string} caption */
function table(rows, head, caption) {
  const t = el('table', '', 'lab-table');
  t.append(el('caption', caption));
  const thead = el('thead');
  const hr = el('tr');
  for (const h of head) hr.append(Object.assign(el('th', h), { scope: 'col' }));
  thead.append(hr);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => tr.append(i === 0 ? Object.assign(el('th', c), { scope: 'row' }) : el('td', c)));
    tbody.append(tr);
  }
  t.append(thead, tbody);
  return t;
}

/**
 * What the race lab's numbers say, in words, derived from the numbers.
 * @param {{gil: boolean, ways: {way: string, lost: number, expected: number}[]}} lab
 */
export function raceSummary(lab) {
  const unsync = lab.ways.find((w) => w.way === 'unsynchronised');
  const safe = lab.ways.filter((w) => w !== unsync && w.lost === 0).map((w) => w.way);
  const safeText = safe.length ? ` The ${safe.join(' and the ')} lost none.` : '';
  if (!unsync) return safeText.trim();
  if (unsync.lost === 0 && lab.gil) {
    return (
      'With the GIL on, the unlocked counter lost nothing, as `counter += 1` in a loop loses nothing on CPython 3.10 and later: ' +
      'the interpreter switches threads only between whole statements, never between the read and the write. ' +
      'Nothing promises it, though: switch the GIL off (free-threaded Python) and run it again.' +
      safeText
    );
  }
  if (unsync.lost === 0) {
    return `The unlocked counter happened to lose nothing this time: the threads did not overlap. Try more increments.${safeText}`;
  }
  const share = ((100 * unsync.lost) / unsync.expected).toFixed(1);
  return (
    `Without a lock, ${unsync.lost.toLocaleString('en')} of ${unsync.expected.toLocaleString('en')} updates (${share}%) were lost: ` +
    'two threads read the same value and both wrote it back plus one.' +
    safeText
  );
}

/**
 * @param {HTMLElement} root
 * @param {import('../runners/index.js').Result} result
 */
export function renderLab(root, result) {
  const lab = /** @type {any} */ (result.lab);
  root.replaceChildren();
  if (result.variant === 'race') {
    const rows = lab.ways.map((/** @type {any} */ w) => [
      w.way,
      w.expected.toLocaleString('en'),
      w.final.toLocaleString('en'),
      w.lost.toLocaleString('en'),
      `${w.ms.toFixed(1)} ms`,
    ]);
    root.append(
      table(rows, ['way', 'expected', 'final', 'lost updates', 'time'], `${lab.threads} threads × ${lab.increments.toLocaleString('en')} increments, GIL ${lab.gil ? 'on' : 'off'}`),
      el('p', raceSummary(lab), 'lab-summary'),
    );
  } else {
    const rows = [
      ['parent, module-level counter', String(lab.parentCounter)],
      ...lab.perProcess.map((/** @type {number} */ v, /** @type {number} */ i) => [`process ${i}, its own copy`, String(v)]),
    ];
    if (lab.sharedCounter !== null) rows.push(['shared Value (with a lock)', `${lab.sharedCounter} of ${lab.expectedIfShared}`]);
    root.append(table(rows, ['counter', 'value'], `${lab.processes} processes, each adding to a counter`), el('p', result.note, 'lab-summary'));
  }
}
