//! The benchmark's native side (`npm run bench` drives it from `bench/run.mjs`): the same
//! kernel and the same rayon code as the page, compiled for this machine instead of for
//! WebAssembly, plus the generated CPython scripts.
//!
//! ```text
//! bench_native script "<query>" <model>    print python::script for the scenario and model
//! bench_native kernel <reps>               calibrate the kernel <reps> times: {"iters_per_ms": [...]}
//! bench_native rayon "<query>" <threads> <reps>
//!     run the scenario's tasks with threading::run_tasks on a 1-thread pool (the
//!     one-after-another baseline) and on a <threads>-thread pool, alternately, <reps>
//!     times each: {"threads", "iters_per_ms", "seq_ms": [...], "par_ms": [...]}
//! bench_native combined "<query>" <processes> <reps>
//!     the scenario one task after another (sequential::run), then asyncio handing its
//!     computing to a pool of <processes> "processes" (threads with their own loops,
//!     multiprocessing::NativePool), alternately, <reps> times each:
//!     {"processes", "seq_ms": [...], "combined_ms": [...]}
//! ```
//!
//! Output is JSON on one line (or the script), errors go to stderr with exit code 2.
//! An example rather than a bin: examples build with the dev-dependencies, as tests do, so
//! `wasm-pack test` builds the library once. Its wasm32 build is empty: threads, pools and
//! stdout mean nothing there.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match native::run(&args) {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("bench_native: {e}");
            eprintln!("{}", native::USAGE);
            std::process::exit(2);
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use concurrency_playground::cancel::Cancel;
    use concurrency_playground::clock::{Clock, SystemClock};
    use concurrency_playground::models::threading::run_tasks;
    use concurrency_playground::params::{parse_query, Model, Params};
    use concurrency_playground::python::script;
    use concurrency_playground::workload::Kernel;

    pub const USAGE: &str = "usage: bench_native script \"<query>\" <model> | kernel <reps> | rayon \"<query>\" <threads> <reps> | combined \"<query>\" <processes> <reps>";

    /// Run one subcommand and return what it prints.
    pub fn run(args: &[String]) -> Result<String, String> {
        let arg = |i: usize, what: &str| {
            args.get(i)
                .map(String::as_str)
                .ok_or_else(|| format!("missing {what}"))
        };
        match arg(0, "a command")? {
            "script" => {
                let params = scenario(arg(1, "the query")?)?;
                let name = arg(2, "the model")?;
                let model: Model = name
                    .parse()
                    .map_err(|_| format!("{name:?} is not a model"))?;
                Ok(script(&params, model))
            }
            "kernel" => {
                let reps = count(arg(1, "the repetitions")?, 1, 100)?;
                let speeds: Vec<f64> = (0..reps)
                    .map(|_| Kernel::calibrate(&SystemClock).iters_per_ms)
                    .collect();
                Ok(format!("{{\"iters_per_ms\":{}}}", list(&speeds)))
            }
            "rayon" => {
                let params = scenario(arg(1, "the query")?)?;
                let threads = count(arg(2, "the thread count")?, 1, 64)?;
                let reps = count(arg(3, "the repetitions")?, 1, 100)?;
                rayon_bench(&params, threads, reps)
            }
            "combined" => {
                let params = scenario(arg(1, "the query")?)?;
                let processes = count(arg(2, "the process count")?, 1, 16)?;
                let reps = count(arg(3, "the repetitions")?, 1, 100)?;
                combined_bench(&params, processes as u32, reps)
            }
            other => Err(format!("{other:?} is not a command")),
        }
    }

    fn scenario(query: &str) -> Result<Params, String> {
        parse_query(query).ok().map_err(|errors| {
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn count(raw: &str, min: usize, max: usize) -> Result<usize, String> {
        match raw.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("{raw:?} is not a whole number from {min} to {max}")),
        }
    }

    fn list(xs: &[f64]) -> String {
        let items: Vec<String> = xs.iter().map(|x| format!("{x:.3}")).collect();
        format!("[{}]", items.join(","))
    }

    fn pool(threads: usize) -> Result<rayon::ThreadPool, String> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| format!("cannot start a pool of {threads} threads: {e}"))
    }

    /// The scenario on one thread and on `threads` threads, alternately, so both see the
    /// same machine load; the pools start before the timing, as the page's host does.
    fn rayon_bench(params: &Params, threads: usize, reps: usize) -> Result<String, String> {
        let kernel = Kernel::calibrate(&SystemClock);
        let (one, many) = (pool(1)?, pool(threads)?);
        let cancel = Cancel::new();
        let time = |p: &rayon::ThreadPool| {
            p.install(|| {
                run_tasks(
                    params,
                    kernel,
                    SystemClock.now_ms(),
                    &SystemClock,
                    &cancel,
                    None,
                )
            })
            .map(|t| t.wall_ms)
            .map_err(|_| "stopped".to_string())
        };
        let (mut seq, mut par) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            seq.push(time(&one)?);
            par.push(time(&many)?);
        }
        Ok(format!(
            "{{\"threads\":{threads},\"iters_per_ms\":{:.1},\"seq_ms\":{},\"par_ms\":{}}}",
            kernel.iters_per_ms,
            list(&seq),
            list(&par)
        ))
    }

    /// One after another, then asyncio with a native process pool, alternately: the
    /// combined model natively, beside CPython's run_in_executor script.
    fn combined_bench(params: &Params, processes: u32, reps: usize) -> Result<String, String> {
        use concurrency_playground::event_loop::{block_on, NativeLoop};
        use concurrency_playground::models::multiprocessing::NativePool;
        use concurrency_playground::models::{asyncio, sequential};
        use concurrency_playground::trace::Progress;
        let kernel = Kernel::calibrate(&SystemClock);
        let (mut seq, mut combined) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let t = block_on(sequential::run(
                params,
                kernel,
                &NativeLoop,
                &Progress::none(),
            ));
            seq.push(t.wall_ms);
            let pool = NativePool::new(params, kernel, processes);
            let t = block_on(asyncio::run_with(
                params,
                kernel,
                &NativeLoop,
                Some(&pool),
                &Progress::none(),
            ))?;
            combined.push(t.wall_ms);
        }
        Ok(format!(
            "{{\"processes\":{processes},\"seq_ms\":{},\"combined_ms\":{}}}",
            list(&seq),
            list(&combined)
        ))
    }
}
