//! `s3logdrop generate`: deterministic realistic logs, named as S3 delivers them.

use s3logdrop::gen::{delivery_name, GenConfig, Generator};
use serde_json::json;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub fn generate(
    out: &Path,
    bytes: u64,
    files: u64,
    gzip: bool,
    config: GenConfig,
) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let seed = config.seed;
    let mut g = Generator::new(config);
    let files = files.max(1);
    let per_file = (bytes / files).max(1) as usize;
    let mut buf = Vec::with_capacity(per_file.min(64 << 20) + 4096);
    for i in 0..files {
        let name = delivery_name(g.now(), seed.wrapping_mul(1_000_003) ^ i)
            + if gzip { ".gz" } else { "" };
        let path = out.join(name);
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut fill = |w: &mut dyn Write| -> io::Result<()> {
            let mut left = per_file;
            while left > 0 {
                buf.clear();
                g.fill(&mut buf, left.min(16 << 20));
                left = left.saturating_sub(buf.len());
                w.write_all(&buf)?;
            }
            Ok(())
        };
        let written = if gzip {
            let mut gz =
                flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::fast());
            fill(&mut gz)
                .and_then(|_| gz.finish())
                .and_then(|mut w| w.flush())
        } else {
            let mut w = BufWriter::new(file);
            fill(&mut w).and_then(|_| w.flush())
        };
        written.map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let t = &g.truth;
    println!(
        "{}",
        json!({"files": files, "bytes": t.bytes, "lines": t.lines, "blank": t.blank, "rejected": t.rejected,
               "parsed": t.lines - t.blank - t.rejected, "downloads_default": t.downloads})
    );
    Ok(())
}
