//! Running the packet pipeline for a command: opening inputs, building the classifier, the
//! progress bar, Ctrl-C and `--duration`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use segscope_capture::{FrameSource, InputSpec, LiveOptions, ReadOptions, StopHandle};
use segscope_core::{Classify, Span};
use segscope_engine::{Control, EngineConfig, EngineError, RecordStage, RunSummary};
use segscope_flow::FlowConfig;
use segscope_proto::Classifier;
use segscope_proto::tls::keylog::KeyLog;
use segscope_rules::{ProtocolRules, RuleSource};

use crate::args::InputArgs;
use crate::exit::Failure;

/// Everything needed to run the pipeline, validated.
pub(crate) struct Plan {
    pub(crate) source: Box<dyn FrameSource>,
    pub(crate) live_stop: Option<StopHandle>,
    pub(crate) duration: Option<Duration>,
    pub(crate) engine: EngineConfig,
    pub(crate) classifier: Arc<dyn Classify>,
    pub(crate) rules: Arc<ProtocolRules>,
    pub(crate) quiet: bool,
}

/// Parses a duration flag.
pub(crate) fn parse_span(flag: &str, value: &str) -> Result<Span, Failure> {
    Span::parse_human(value).ok_or_else(|| {
        Failure::usage(format!(
            "{flag} {value:?}: expected a duration such as 30s, 5m, 2h or 1d"
        ))
    })
}

/// The rule files to use.
pub(crate) fn rule_source(args: &InputArgs) -> RuleSource {
    match &args.rules {
        Some(dir) => RuleSource::with_dir(dir),
        None => RuleSource::embedded(),
    }
}

impl Plan {
    /// Opens the inputs and builds the pipeline described by the flags.
    pub(crate) fn new(args: &InputArgs) -> Result<Plan, Failure> {
        let rules = Arc::new(rule_source(args).protocols()?);
        let mut classifier = Classifier::new(rules.clone());
        if let Some(path) = &args.keylog {
            let keylog = KeyLog::load(path).map_err(|e| Failure::usage(e.to_string()))?;
            classifier = classifier.with_keylog(Arc::new(keylog));
        }
        let supported = Some(segscope_wire::SUPPORTED_LINKTYPES.to_vec());
        let (source, live_stop): (Box<dyn FrameSource>, Option<StopHandle>) = match &args.interface
        {
            Some(iface) => {
                let opts = LiveOptions {
                    filter: args.filter.clone(),
                    supported_linktypes: supported,
                    ..LiveOptions::default()
                };
                let live = segscope_capture::open_live(iface, &opts)?;
                let stop = live.stop_handle();
                let source: Box<dyn FrameSource> = match &args.write {
                    Some(path) => {
                        Box::new(segscope_capture::tee::TeeSource::new(Box::new(live), path)?)
                    }
                    None => Box::new(live),
                };
                (source, Some(stop))
            }
            None => {
                if args.files.is_empty() {
                    return Err(Failure::usage(
                        "no input: give capture files (or `-` for standard input), or --interface IF",
                    ));
                }
                let opts = ReadOptions {
                    filter: args.filter.clone(),
                    supported_linktypes: supported,
                    ..ReadOptions::default()
                };
                let inputs = args.files.iter().map(InputSpec::path).collect();
                (Box::new(segscope_capture::open(inputs, &opts)?), None)
            }
        };
        let duration = args
            .duration
            .as_deref()
            .map(|d| parse_span("--duration", d))
            .transpose()?
            .map(|s| Duration::from_nanos(s.0.max(0) as u64));
        let active = parse_span("--active-timeout", &args.active_timeout)?;
        let flow = FlowConfig {
            active_timeout: Some(active),
            max_flows: args.max_flows.max(1),
            payload_budget: args.payload_budget,
            ..FlowConfig::default()
        };
        let workers = args
            .workers
            .unwrap_or_else(segscope_engine::default_workers)
            .max(1);
        Ok(Plan {
            source,
            live_stop,
            duration,
            engine: EngineConfig { flow, workers },
            classifier: Arc::new(classifier),
            rules,
            quiet: args.quiet,
        })
    }

    /// Runs the pipeline with a progress bar (when stderr is a terminal), stopping cleanly on
    /// Ctrl-C or at the end of `--duration`.
    pub(crate) fn run<S: RecordStage>(
        mut self,
        stage: &S,
        on_epoch: &mut dyn FnMut(Vec<S::Out>) -> Result<(), EngineError>,
    ) -> Result<RunSummary<S::Local>, Failure> {
        let control = Arc::new(Control::default());
        install_stop_triggers(&control, self.live_stop.clone(), self.duration);
        let bar = progress_bar(self.quiet, &control);
        let result = segscope_engine::run(
            self.source.as_mut(),
            &self.engine,
            self.classifier.clone(),
            stage,
            &control,
            on_epoch,
        );
        if let Some(p) = bar {
            p.finish();
        }
        Ok(result?)
    }
}

/// Ctrl-C (first: stop reading and write what was found; second: exit at once) and the
/// `--duration` timer, both handled off the pipeline's threads.
fn install_stop_triggers(
    control: &Arc<Control>,
    live: Option<StopHandle>,
    duration: Option<Duration>,
) {
    let c = control.clone();
    let l = live.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            eprintln!("\nsegscope: stopping: writing the results so far (Ctrl-C again to abort)");
            c.request_stop();
            if let Some(l) = &l {
                l.stop();
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    });
    if let Some(d) = duration {
        let c = control.clone();
        std::thread::spawn(move || {
            std::thread::sleep(d);
            c.request_stop();
            if let Some(l) = &live {
                l.stop();
            }
        });
    }
}

/// A progress bar on stderr and the thread that refreshes it from the pipeline's counters.
struct Progress {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
    ticker: std::thread::JoinHandle<()>,
}

impl Progress {
    fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.ticker.join();
        self.bar.finish_and_clear();
    }
}

fn progress_bar(quiet: bool, control: &Arc<Control>) -> Option<Progress> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let c = control.clone();
    let b = bar.clone();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let ticker = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while !d.load(Ordering::Relaxed) {
            let records = c.records.load(Ordering::Relaxed);
            let total = c.bytes_total.load(Ordering::Relaxed);
            if total > 0 {
                b.set_length(total);
            }
            b.set_position(c.bytes_read.load(Ordering::Relaxed));
            let frames = c.frames.load(Ordering::Relaxed);
            let secs = start.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!(
                "{:.0} pkts/s, {records} flows",
                frames as f64 / secs
            ));
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    Some(Progress { bar, done, ticker })
}
