// @ts-check
/**
 * The shapes that cross the page, its runners, its views and its workers, defined once.
 * They are what the Rust core serialises (`src/trace.rs`, `src/params.rs`) plus the result
 * row the timing wrapper builds (`runners/index.js`). Import them in JSDoc:
 * `@typedef {import('../shared/types.js').Trace} Trace`.
 *
 * @typedef {string} State one of the schema's `states` (running, io_wait, gil_wait, spawn, ipc, blocked)
 * @typedef {{lane: number, task: number|null, state: State, start_ms: number, end_ms: number}} Span
 *   one interval of one lane, ms since the run began
 * @typedef {{origin_ms: number, wall_ms: number, lanes: string[], spans: Span[], iters?: number[]}} Trace
 *   everything a run measured: `origin_ms` is absolute (epoch ms), `iters` the kernel
 *   iterations each lane computed
 * @typedef {{model: string, workload: string, lab: string, round: number, share: number|null, query: string,
 *   computing: number}} Step
 *   one measurement of a plan, with the step's own query (`share`: the crossover's percent
 *   of each task spent computing; `computing`: how many of its workers compute at once
 *   beside the page)
 *
 * @typedef {object} Outcome what a runner hands the timing wrapper, one per row
 * @property {string} variant  '' or e.g. 'cold', 'warm', 'gil-off'
 * @property {string} label    how the row names it
 * @property {Trace} trace
 * @property {number|null} workers threads or processes
 * @property {string} note
 * @property {number|null} [startupMs] start-up the row does not count (a thread pool's)
 * @property {boolean} [gil]   whether its threads ran under a GIL, for a model with threads
 * @property {object} [lab]    a lab's own figures
 *
 * @typedef {object} Result one row of the results: one model on one workload in one round
 * @property {string} model
 * @property {string} workload
 * @property {string} variant
 * @property {string} label
 * @property {number} round      the round it was measured in, from 0
 * @property {number} wallMs
 * @property {number} startupMs what the run waited for before its work, not counted in
 *   `wallMs` (a thread pool's start; 0 when it was started ahead or kept)
 * @property {number|null} speedup against the sequential run of the same workload and round
 * @property {number|null} workers
 * @property {boolean|null} gil
 * @property {number|null} lagMaxMs  the page's event-loop lag during the run
 * @property {number|null} lagP99Ms
 * @property {number|null} speedRatio the slowest lane's kernel speed over the calibration's
 * @property {string} note
 * @property {Trace} trace
 * @property {object} [lab]
 *
 * @typedef {Omit<Result, 'trace'> & {share: number}} Point one measurement of the crossover:
 *   a result without its trace, at one share of computing
 */
/**
 * The parameter schema and a parse of a query, as `src/params.rs` serialises them.
 * @typedef {{type: 'int', min: number, max: number, optional: boolean}
 *   | {type: 'choice', choices: string[]} | {type: 'list', choices: string[]}} Kind
 * @typedef {{name: string, label: string, unit: string, help: string, kind: Kind,
 *   group: string, basic: boolean, range: string, default: string}} Spec
 * @typedef {{name: string, value: string, range: string, message: string}} ParamError
 * @typedef {{name: string, message: string}} Notice
 * @typedef {{workload: string, tasks: number, ioMs: number, cpuMs: number, taskMs: number,
 *   threads: number|null, processes: number|null, gil: boolean, switchMs: number,
 *   yieldMs: number, pool: boolean, payloadKb: number, models: string[], repeat: number|null,
 *   compare: boolean, crossover: boolean, lab: string, increments: number, shared: boolean,
 *   run: boolean, embed: boolean}} Params
 * @typedef {{params: Params, errors: ParamError[], more: number, raw: [string, string][],
 *   notices: Notice[]}} Parsed
 * @typedef {'run' | 'compare' | 'sweep' | 'crossover'} Action
 */
export {};
