//! Live capture through libpcap. Packets are copied into chunks (libpcap reuses its ring
//! buffer) and handed out in batches at least every [`BATCH_INTERVAL`], even when the interface
//! is idle, so the caller can honour Ctrl-C and time limits. Another thread stops the capture
//! through a [`StopHandle`].
//!
//! The handle is non-blocking: on Linux (TPACKET_V3) a blocking read with a timeout waits
//! forever while no packet arrives, so an idle interface would never return a batch. When a
//! read finds nothing, the reader sleeps [`IDLE_POLL`] before trying again; packets wait in the
//! kernel ring meanwhile, which delivers them in blocks after the read timeout anyway.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pcap::{Active, Capture, Device, Precision};
use segscope_core::Timestamp;
use segscope_core::stats::CaptureStats;

use crate::filter::{linktype_list, linktype_name, pcap_message};
use crate::source::{CaptureWarning, FrameSource, Progress, Warnings};
use crate::{CaptureError, FrameBatch, FrameMeta};

/// The longest a call to [`FrameSource::next_batch`] waits before returning what it has.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(100);

/// Pause between reads that found no packet.
pub const IDLE_POLL: Duration = Duration::from_millis(5);

/// Options of a live capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveOptions {
    /// Bytes kept of each packet.
    pub snaplen: u32,
    /// Put the interface in promiscuous mode.
    pub promisc: bool,
    /// Kernel buffer size in bytes; larger buffers absorb bursts without drops.
    pub buffer_size: u32,
    /// tcpdump-syntax filter, run in the kernel.
    pub filter: Option<String>,
    /// libpcap read timeout in milliseconds: how long the kernel holds packets before delivering
    /// them, and how long a read waits on an idle interface.
    pub timeout_ms: u32,
    /// Link types the caller can decode; `None` accepts every link type.
    pub supported_linktypes: Option<Vec<u32>>,
    /// Bytes per chunk that packets are copied into.
    pub chunk_size: usize,
    /// Most frames per batch (at most 65,535).
    pub batch_frames: usize,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            snaplen: 262_144,
            promisc: true,
            buffer_size: 32 * 1024 * 1024,
            filter: None,
            timeout_ms: 100,
            supported_linktypes: None,
            chunk_size: 1024 * 1024,
            batch_frames: 4096,
        }
    }
}

/// Asks a live capture to stop from another thread (a Ctrl-C handler, a timer). The capture
/// notices within [`BATCH_INTERVAL`]: `next_batch` returns the frames it holds, then `false`.
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Requests the stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A live capture on one interface.
pub struct LiveSource {
    capture: Capture<Active>,
    interface: String,
    names: [Arc<str>; 1],
    linktype: u32,
    stop: StopHandle,
    arena: Arena,
    frame_no: u64,
    stats: CaptureStats,
    warnings: Warnings,
    batch_frames: usize,
    finished: bool,
    /// How long reading goes on after a stop request: packets the kernel already captured sit
    /// in a ring block that is handed over only when the read timeout expires, and a stop must
    /// not lose them.
    drain_grace: Duration,
    /// When draining after a stop ends.
    drain_until: Option<Instant>,
}

/// Chunks that packets are copied into. The current chunk is written only until it is handed
/// out in a batch; then a fresh (or recycled) one takes its place.
struct Arena {
    chunk_size: usize,
    current: Arc<[u8]>,
    used: usize,
    /// Frames of the current batch that live in `current`.
    holds_frames: bool,
    pool: Vec<Arc<[u8]>>,
    bytes: u64,
}

/// Opens a live capture on `interface`.
pub fn open_live(interface: &str, opts: &LiveOptions) -> Result<LiveSource, CaptureError> {
    let live_err = |message: String| CaptureError::Live {
        name: interface.into(),
        message,
    };
    let inactive = Capture::from_device(interface).map_err(|e| live_err(pcap_message(e)))?;
    let capture = inactive
        .snaplen(i32::try_from(opts.snaplen).unwrap_or(i32::MAX))
        .promisc(opts.promisc)
        .buffer_size(i32::try_from(opts.buffer_size).unwrap_or(i32::MAX))
        .timeout(i32::try_from(opts.timeout_ms.max(1)).unwrap_or(i32::MAX))
        .precision(Precision::Micro)
        .open()
        .map_err(|e| activation_error(interface, pcap_message(e)))?;
    let mut capture = capture
        .setnonblock()
        .map_err(|e| live_err(pcap_message(e)))?;
    let linktype = u32::try_from(capture.get_datalink().0).unwrap_or(u32::MAX);
    let name: Arc<str> = Arc::from(format!("iface:{interface}"));
    if let Some(supported) = opts.supported_linktypes.as_deref()
        && !supported.contains(&linktype)
    {
        return Err(CaptureError::UnsupportedLinktype {
            source_name: name.to_string(),
            linktype,
            linktype_name: linktype_name(linktype),
            supported: linktype_list(supported),
            hint: "capture on an interface with a supported link type (e.g. an Ethernet interface rather than a tunnel or wireless monitor interface)",
        });
    }
    if let Some(expr) = opts.filter.as_deref() {
        capture
            .filter(expr, true)
            .map_err(|e| CaptureError::BadFilter {
                expr: expr.into(),
                linktype,
                linktype_name: linktype_name(linktype),
                message: pcap_message(e),
            })?;
    }
    let chunk_size = opts.chunk_size.max(opts.snaplen as usize).max(4096);
    Ok(LiveSource {
        capture,
        interface: interface.into(),
        names: [name],
        linktype,
        stop: StopHandle::default(),
        arena: Arena {
            chunk_size,
            current: std::iter::repeat_n(0u8, chunk_size).collect(),
            used: 0,
            holds_frames: false,
            pool: Vec::new(),
            bytes: 0,
        },
        frame_no: 1,
        stats: CaptureStats {
            sources: 1,
            ..CaptureStats::default()
        },
        warnings: Warnings::default(),
        batch_frames: opts.batch_frames.clamp(1, usize::from(u16::MAX)),
        finished: false,
        drain_grace: Duration::from_millis(u64::from(opts.timeout_ms.max(1))) * 2 + IDLE_POLL,
        drain_until: None,
    })
}

/// Turns a failed activation into the error that says what to do.
fn activation_error(interface: &str, message: String) -> CaptureError {
    let devices = Device::list().unwrap_or_default();
    if !devices.iter().any(|d| d.name == interface) {
        return CaptureError::InterfaceNotFound {
            name: interface.into(),
            available: available_list(devices.iter().map(|d| d.name.as_str())),
        };
    }
    classify_activation_error(interface, message)
}

/// Permission problems versus anything else, from libpcap's message.
fn classify_activation_error(interface: &str, message: String) -> CaptureError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        CaptureError::CapturePermission {
            name: interface.into(),
            message,
            exe: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "<path-to-segscope>".into()),
        }
    } else {
        CaptureError::Live {
            name: interface.into(),
            message,
        }
    }
}

fn available_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = names.collect();
    if list.is_empty() {
        "none (are you allowed to list interfaces?)".into()
    } else {
        list.join(", ")
    }
}

impl Arena {
    /// Makes room for `len` bytes in the current chunk, handing the full one to `out` first.
    fn reserve(&mut self, len: usize, out: &mut FrameBatch) {
        let fits = self.current.len() - self.used >= len;
        if fits && Arc::get_mut(&mut self.current).is_some() {
            return;
        }
        self.seal(out);
        let size = self.chunk_size.max(len);
        let reusable = self
            .pool
            .iter_mut()
            .position(|c| c.len() >= size && Arc::get_mut(c).is_some());
        let fresh = match reusable {
            Some(i) => self.pool.swap_remove(i),
            None => std::iter::repeat_n(0u8, size).collect(),
        };
        let old = std::mem::replace(&mut self.current, fresh);
        if self.pool.len() < 4 {
            self.pool.push(old);
        }
        self.used = 0;
    }

    /// Copies a packet into the current chunk; returns its chunk index in `out` and offset.
    fn push(&mut self, data: &[u8], out: &mut FrameBatch) -> (u16, u32) {
        self.reserve(data.len(), out);
        let at = self.used;
        if let Some(dst) =
            Arc::get_mut(&mut self.current).and_then(|b| b.get_mut(at..at + data.len()))
        {
            dst.copy_from_slice(data);
        }
        self.used += data.len();
        self.bytes += data.len() as u64;
        self.holds_frames = true;
        (
            u16::try_from(out.chunks.len()).unwrap_or(u16::MAX),
            u32::try_from(at).unwrap_or(u32::MAX),
        )
    }

    /// Hands the current chunk to `out` if frames of this batch live in it; it is then frozen.
    fn seal(&mut self, out: &mut FrameBatch) {
        if self.holds_frames {
            out.chunks.push(Arc::clone(&self.current));
            self.holds_frames = false;
        }
    }
}

impl LiveSource {
    /// The interface's LINKTYPE_* value.
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// A handle another thread can use to stop the capture.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Reads libpcap's drop counters (cumulative since the capture started).
    fn update_drops(&mut self) {
        if let Ok(s) = self.capture.stats() {
            self.stats.kernel_dropped = u64::from(s.dropped);
            self.stats.interface_dropped = u64::from(s.if_dropped);
        }
    }
}

impl FrameSource for LiveSource {
    fn next_batch(&mut self, out: &mut FrameBatch) -> Result<bool, CaptureError> {
        out.clear();
        if self.finished {
            return Ok(false);
        }
        let deadline = Instant::now() + BATCH_INTERVAL;
        let LiveSource {
            capture,
            interface,
            linktype,
            stop,
            arena,
            frame_no,
            stats,
            batch_frames,
            drain_grace,
            drain_until,
            ..
        } = self;
        loop {
            if stop.is_stopped() {
                let until = *drain_until.get_or_insert_with(|| Instant::now() + *drain_grace);
                if Instant::now() >= until {
                    self.finished = true;
                    break;
                }
            }
            let room = *batch_frames - out.frames.len();
            let result = capture.dispatch(Some(room), |packet| {
                let header = packet.header;
                // `time_t` is not 64-bit on every platform libpcap runs on.
                #[allow(clippy::unnecessary_cast)]
                let ts = Timestamp::from_parts(
                    header.ts.tv_sec as i64,
                    u64::try_from(header.ts.tv_usec).unwrap_or(0),
                    1_000_000,
                );
                let (chunk, offset) = arena.push(packet.data, out);
                let caplen = u32::try_from(packet.data.len()).unwrap_or(u32::MAX);
                stats.records += 1;
                stats.captured_bytes += u64::from(caplen);
                stats.wire_bytes += u64::from(header.len);
                stats.snaplen_truncated += u64::from(caplen < header.len);
                out.frames.push(FrameMeta {
                    ts,
                    caplen,
                    wirelen: header.len.max(caplen),
                    linktype: *linktype,
                    source: 0,
                    frame_no: *frame_no,
                    chunk,
                    offset,
                });
                *frame_no += 1;
            });
            let idle = match result {
                Ok(n) => n == 0,
                Err(pcap::Error::TimeoutExpired) => true,
                Err(e) => {
                    arena.seal(out);
                    return Err(CaptureError::Live {
                        name: interface.clone(),
                        message: pcap_message(e),
                    });
                }
            };
            let now = Instant::now();
            // While draining after a stop, the batch deadline does not apply: the call returns
            // once the drain is over, with whatever it found.
            if out.frames.len() >= *batch_frames || (now >= deadline && drain_until.is_none()) {
                break;
            }
            if idle {
                let left = deadline.saturating_duration_since(now);
                std::thread::sleep(if drain_until.is_some() {
                    IDLE_POLL
                } else {
                    IDLE_POLL.min(left)
                });
            }
        }
        self.arena.seal(out);
        self.update_drops();
        Ok(!self.finished || !out.is_empty())
    }

    fn stats(&self) -> CaptureStats {
        self.stats.clone()
    }

    fn source_names(&self) -> &[Arc<str>] {
        &self.names
    }

    fn progress(&self) -> Progress {
        Progress {
            bytes_read: self.arena.bytes,
            bytes_total: None,
        }
    }

    fn warnings(&self) -> &[CaptureWarning] {
        &self.warnings.kept
    }

    fn warnings_not_kept(&self) -> u64 {
        self.warnings.not_kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_message_says_how_to_grant_capture_rights() {
        let e = classify_activation_error(
            "eth0",
            "eth0: You don't have permission to perform this capture on that device (socket: Operation not permitted)".into(),
        );
        let msg = e.to_string();
        assert!(matches!(e, CaptureError::CapturePermission { .. }));
        assert!(msg.contains("run as root"), "{msg}");
        assert!(
            msg.contains("sudo setcap cap_net_raw,cap_net_admin=eip "),
            "{msg}"
        );
        assert!(matches!(
            classify_activation_error("eth0", "something else".into()),
            CaptureError::Live { .. }
        ));
    }

    #[test]
    fn arena_never_writes_a_chunk_a_batch_holds() {
        let mut arena = Arena {
            chunk_size: 4096,
            current: Arc::from(vec![0u8; 4096]),
            used: 0,
            holds_frames: false,
            pool: Vec::new(),
            bytes: 0,
        };
        let mut out = FrameBatch::default();
        let (c0, o0) = arena.push(b"first", &mut out);
        arena.seal(&mut out);
        assert_eq!((c0, o0), (0, 0));
        let held = Arc::clone(&out.chunks[0]);
        let mut next = FrameBatch::default();
        let (c1, o1) = arena.push(b"second", &mut next);
        arena.seal(&mut next);
        assert_eq!((c1, o1), (0, 0), "a fresh chunk for the next batch");
        assert_eq!(&held[..5], b"first");
        assert_eq!(&next.chunks[0][..6], b"second");
        let big = vec![7u8; 5000];
        let mut third = FrameBatch::default();
        let (c2, _) = arena.push(&big, &mut third);
        arena.seal(&mut third);
        assert_eq!(third.chunks[usize::from(c2)].len(), 5000);
    }
}
