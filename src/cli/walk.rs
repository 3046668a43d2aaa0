//! The files to read: those given, and those under the folders given.

use s3logdrop::pool::Input;
use std::path::{Path, PathBuf};

/// Files given, and files under folders given (recursively, an explicit stack), sorted
/// by name. A folder's files are named `FOLDER/relative/path`, as a browser names the
/// files of a dropped folder. The folder `skip` (the output folder) is not walked.
pub fn collect(paths: &[PathBuf], skip: Option<&Path>) -> (Vec<Input>, Vec<(String, String)>) {
    let skip = skip.and_then(|p| p.canonicalize().ok());
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            let root_name = p
                .canonicalize()
                .ok()
                .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| p.display().to_string());
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(e) => e,
                    Err(e) => {
                        errors.push((dir.display().to_string(), e.to_string()));
                        continue;
                    }
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        if skip.is_none() || path.canonicalize().ok() != skip {
                            stack.push(path);
                        }
                    } else {
                        let rel = path.strip_prefix(p).unwrap_or(&path);
                        let name =
                            format!("{root_name}/{}", rel.to_string_lossy().replace('\\', "/"));
                        out.push(Input::file(path, name));
                    }
                }
            }
        } else {
            out.push(Input::file(p.clone(), p.to_string_lossy().into_owned()));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    (out, errors)
}
