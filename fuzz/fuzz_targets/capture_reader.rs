//! Any bytes as a capture file: the reader must never panic, whatever the damage, and every
//! frame it hands out must lie inside its batch. The same bytes are also read as a two-file
//! merge through a pipe-like reader (short reads, small chunks), which exercises record
//! straddling and the merge.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use segscope_capture::{FrameBatch, FrameSource, InputSpec, ReadOptions};

/// Returns at most 97 bytes per read, like a pipe.
struct Trickle(io::Cursor<Vec<u8>>);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(97);
        self.0.read(&mut buf[..n])
    }
}

fn drain(inputs: Vec<InputSpec>, opts: &ReadOptions) {
    let Ok(mut source) = segscope_capture::open(inputs, opts) else {
        return;
    };
    let mut batch = FrameBatch::default();
    while let Ok(true) = source.next_batch(&mut batch) {
        for (meta, bytes) in batch.iter() {
            assert_eq!(bytes.len(), meta.caplen as usize);
            assert!(usize::from(meta.source) < source.source_names().len());
        }
    }
    let stats = source.stats();
    assert!(stats.records >= stats.filtered_out + stats.unsupported_linktype);
}

fuzz_target!(|data: &[u8]| {
    let whole = ReadOptions {
        chunk_size: 4096,
        batch_frames: 64,
        ..ReadOptions::default()
    };
    drain(
        vec![InputSpec::reader("fuzz", io::Cursor::new(data.to_vec()))],
        &whole,
    );
    let piped = ReadOptions {
        chunk_size: 4096,
        batch_frames: 3,
        supported_linktypes: Some(vec![1, 113]),
        filter: Some("ip or ip6".into()),
    };
    drain(
        vec![
            InputSpec::reader("a", Trickle(io::Cursor::new(data.to_vec()))),
            InputSpec::reader("b", io::Cursor::new(data.to_vec())),
        ],
        &piped,
    );
});
