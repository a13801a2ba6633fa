// @ts-check
/**
 * The labs' results: the race lab's three ways side by side, the isolation lab's parent
 * and process counters, and what the numbers say, in words derived from the numbers.
 */
import { el } from './dom.js';
import { formatCount, formatMs } from './format.js';

/**
 * @typedef {{way: string, python: string, unit: string, expected: number, final: number, lost: number, ms: number}} RaceWay
 * @typedef {{threads: number, increments: number, withdrawals: number, gil: boolean, switchMs: number, ways: RaceWay[]}} RaceLab
 * @typedef {{processes: number, increments: number, perProcess: number[], parentBefore: number, parentCounter: number,
 *   expectedIfShared: number, sharedCounter: number|null, sharedAsked: boolean, sharedAvailable: boolean}} IsolationLab
 */

/** How each way of the race lab is named in its table. */
const WAY_NAMES = /** @type {Record<string, string>} */ ({
  counter: 'counter += 1, no lock',
  bank: 'bank account, no lock',
  bank_locked: 'bank account, threading.Lock',
});

/** @param {string[][]} rows @param {string[]} head @param {string} caption */
function table(rows, head, caption) {
  const t = el('table', 'lab-table');
  t.append(el('caption', undefined, caption));
  const thead = el('thead');
  const hr = el('tr');
  for (const h of head) hr.append(Object.assign(el('th', undefined, h), { scope: 'col' }));
  thead.append(hr);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => tr.append(i === 0 ? Object.assign(el('th', undefined, c), { scope: 'row' }) : el('td', undefined, c)));
    tbody.append(tr);
  }
  t.append(thead, tbody);
  return t;
}

/** A table in a box that scrolls sideways on a narrow screen, never the page. @param {HTMLElement} t */
function wrap(t) {
  const box = el('div', 'table-wrap');
  box.append(t);
  return box;
}

/**
 * What the race lab's numbers say, in words, sentence by sentence.
 * @param {RaceLab} lab
 * @returns {string[]}
 */
export function raceSummary(lab) {
  const by = Object.fromEntries(lab.ways.map((w) => [w.way, w]));
  const out = [];
  const counter = by.counter;
  if (counter) {
    if (counter.lost === 0 && lab.gil) {
      out.push(
        'counter += 1 lost nothing with the GIL on, as on CPython 3.10 and later: the interpreter switches threads only between whole statements, never between reading the counter and writing it back. Nothing promises it: switch the GIL off (free-threaded Python) and it loses updates.',
      );
    } else if (counter.lost === 0) {
      out.push('counter += 1 happened to lose nothing this time: the threads did not overlap. Try more increments.');
    } else {
      out.push(`counter += 1 lost ${formatCount(counter.lost)} of ${formatCount(counter.expected)} additions: two threads read the same value and both wrote it back plus one.`);
    }
  }
  const bank = by.bank;
  if (bank) {
    const total = lab.threads * lab.withdrawals;
    out.push(
      bank.lost > 0
        ? `The bank account, with no lock, kept ${formatCount(bank.lost)} of ${formatCount(total)} withdrawals it had paid out: each withdrawal checks the balance, waits (the GIL goes to another thread), then writes a balance that is out of date${lab.gil ? ', even with the GIL on' : ''}.`
        : 'The bank account, with no lock, happened to lose nothing this time.',
    );
  }
  const locked = by.bank_locked;
  if (locked) out.push(locked.lost === 0 ? 'With a threading.Lock around the check and the write, the balance came out exact.' : `Even with the lock, ${formatCount(locked.lost)} withdrawals were lost: that is a bug.`);
  return out;
}

/**
 * The race lab's lesson at a glance: how many withdrawals the unlocked bank account lost,
 * large, with the Python that loses them and whether the GIL was on.
 * @param {RaceLab} lab
 */
function raceHeadline(lab) {
  const bank = lab.ways.find((w) => w.way === 'bank');
  if (!bank) return null;
  const total = lab.threads * lab.withdrawals;
  const box = el('div', `lab-headline${bank.lost > 0 ? ' lost' : ''}`);
  const big = el('p', 'lab-big');
  big.append(el('strong', undefined, `${formatCount(bank.lost)} of ${formatCount(total)}`), ` withdrawals lost, with the GIL ${lab.gil ? 'on' : 'off'}`);
  const how = el('p');
  const code = (/** @type {string} */ t) => el('code', undefined, t);
  how.append(
    `${lab.threads} threads each called `,
    code('withdraw(1)'),
    ` ${formatCount(lab.withdrawals)} times on one shared account with no lock. `,
    code('withdraw()'),
    ' checks the balance, then waits (',
    code('time.sleep(0)'),
    ' lets go of the GIL) before it writes the new balance: meanwhile other threads withdraw, and the write undoes their withdrawals. The GIL lets one thread run at a time; it does not keep the others out between a check and a write. ',
    code('with lock:'),
    ' (a ',
    code('threading.Lock'),
    ') around the check and the write does.',
  );
  box.append(big, how);
  return box;
}

/**
 * What the isolation lab's numbers say.
 * @param {IsolationLab} lab
 */
export function isolationSummary(lab) {
  const seen = [...new Set(lab.perProcess)].map(formatCount).join(', ');
  const parent =
    lab.parentCounter === lab.parentBefore
      ? `the parent's counter is still ${formatCount(lab.parentCounter)}`
      : `the parent's counter moved from ${formatCount(lab.parentBefore)} to ${formatCount(lab.parentCounter)}`;
  const out = [
    `Each process added ${formatCount(lab.increments)} to its own copy of the counter (they saw ${seen}); ${parent} (it would be ${formatCount(lab.expectedIfShared)} if processes shared memory).`,
  ];
  if (lab.sharedCounter !== null) {
    out.push(`The counter in shared memory with a lock (multiprocessing.Value) reached ${formatCount(lab.sharedCounter)} of ${formatCount(lab.expectedIfShared)}: that one every process changes.`);
  } else if (lab.sharedAsked) {
    out.push('The shared counter was not run: this page cannot share memory with its workers (it is not cross-origin isolated).');
  }
  return out;
}

/**
 * @param {HTMLElement} root
 * @param {{variant: string, lab?: object}} result
 */
export function renderLab(root, result) {
  root.replaceChildren();
  if (result.variant === 'race') {
    const lab = /** @type {RaceLab} */ (result.lab);
    const headline = raceHeadline(lab);
    if (headline) root.append(headline);
    const rows = lab.ways.map((w) => [
      WAY_NAMES[w.way] ?? w.way,
      formatCount(w.expected),
      formatCount(w.final),
      `${formatCount(w.lost)} ${w.unit}`,
      formatMs(w.ms),
    ]);
    const caption = `${lab.threads} threads: ${formatCount(lab.increments)} additions and ${formatCount(lab.withdrawals)} withdrawals each, GIL ${lab.gil ? 'on' : 'off'}`;
    root.append(wrap(table(rows, ['way', 'expected', 'final', 'lost', 'time'], caption)));
    for (const s of raceSummary(lab)) root.append(el('p', 'lab-summary', s));
  } else {
    const lab = /** @type {IsolationLab} */ (result.lab);
    const rows = [
      ['parent, module-level counter', formatCount(lab.parentCounter)],
      ...lab.perProcess.map((v, i) => [`process ${i}, its own copy`, formatCount(v)]),
    ];
    if (lab.sharedCounter !== null) rows.push(['shared Value (with a lock)', `${formatCount(lab.sharedCounter)} of ${formatCount(lab.expectedIfShared)}`]);
    root.append(wrap(table(rows, ['counter', 'value'], `${lab.processes} processes, each adding to a counter`)));
    for (const s of isolationSummary(lab)) root.append(el('p', 'lab-summary', s));
  }
}
