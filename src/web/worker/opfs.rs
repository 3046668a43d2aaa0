//! The row exports (`parsed_output.csv`, `rejected_lines.txt`) streamed into the
//! origin-private file system (disk, not memory) through a sync access handle, which
//! only dedicated workers have.

use super::protocol::{post, Reply};
use super::read::{read_file, Progress};
use super::{is_cancelled, parse_settings, scope};
use crate::outputs::{Anonymize, FileSink};
use crate::session::Session;
use crate::web::js_error_text;
use std::io::{self, BufWriter, Write};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetFileOptions,
    FileSystemReadWriteOptions, FileSystemSyncAccessHandle,
};

/// An export to run: the settings, the files in order, the names to write.
pub(super) struct Export {
    pub job: f64,
    pub settings: String,
    pub files: Vec<(Blob, String)>,
    pub parsed: String,
    pub rejected: String,
}

/// Writes into a file of the origin-private file system through a sync access handle
/// (dedicated workers only; Chromium, Firefox and Safari have it).
struct OpfsWriter {
    handle: FileSystemSyncAccessHandle,
    at: f64,
}

impl Write for OpfsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let opts = FileSystemReadWriteOptions::new();
        opts.set_at(self.at);
        let n = self
            .handle
            .write_with_u8_array_and_options(buf, &opts)
            .map_err(|e| io::Error::other(js_error_text(&e)))?;
        self.at += n;
        Ok(n as usize)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.handle
            .flush()
            .map_err(|e| io::Error::other(js_error_text(&e)))
    }
}

async fn opfs_file(name: &str) -> Result<OpfsWriter, String> {
    let storage = scope().navigator().storage();
    let root: FileSystemDirectoryHandle = JsFuture::from(storage.get_directory())
        .await
        .map_err(|e| {
            format!(
                "no private file system for the export: {}",
                js_error_text(&e)
            )
        })?
        .unchecked_into();
    let opts = FileSystemGetFileOptions::new();
    opts.set_create(true);
    let file: FileSystemFileHandle = JsFuture::from(root.get_file_handle_with_options(name, &opts))
        .await
        .map_err(|e| js_error_text(&e))?
        .unchecked_into();
    let handle: FileSystemSyncAccessHandle = JsFuture::from(file.create_sync_access_handle())
        .await
        .map_err(|e| js_error_text(&e))?
        .unchecked_into();
    handle
        .truncate_with_f64(0.0)
        .map_err(|e| js_error_text(&e))?;
    Ok(OpfsWriter { handle, at: 0.0 })
}

/// Runs an export (see [`super::protocol::Message::Export`]).
pub(super) async fn export(e: Export) -> Result<(), String> {
    let settings = parse_settings(&e.settings)?;
    let parsed = opfs_file(&e.parsed).await?;
    let rejected = match opfs_file(&e.rejected).await {
        Ok(r) => r,
        Err(err) => {
            parsed.handle.close();
            return Err(err);
        }
    };
    let (ph, rh) = (parsed.handle.clone(), rejected.handle.clone());
    let close = || {
        ph.close();
        rh.close();
    };
    let sink = FileSink::new(
        BufWriter::with_capacity(1 << 20, parsed),
        BufWriter::with_capacity(1 << 20, rejected),
        Anonymize::None,
    );
    let sink = match sink {
        Ok(s) => s,
        Err(err) => {
            close();
            return Err(err.to_string());
        }
    };
    let mut session = match Session::with_sink(&settings, sink) {
        Ok(s) => s,
        Err(err) => {
            close();
            return Err(err);
        }
    };
    let mut progress = Progress::default();
    for (file, name) in &e.files {
        let read = read_file(Some(e.job), file, name, &mut session, &mut progress, None).await;
        if let Err(err) = read {
            close();
            return Err(format!("writing the export: {err}"));
        }
        if is_cancelled(e.job) {
            close();
            return Ok(());
        }
        progress.post(e.job, &session, true);
    }
    let flushed = session.finish().and_then(|(_, mut sink)| sink.flush());
    close();
    flushed.map_err(|err| format!("writing the export: {err}"))?;
    post(&Reply::Exported { job: e.job });
    Ok(())
}
