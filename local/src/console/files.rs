//! The console's built files (`console/dist`), read once into memory and served by path; any path without a
//! file extension is the single-page app's `index.html` (its own router shows the page).

use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use std::collections::HashMap;
use std::path::Path;

/// The files of a build, by URL path (`/index.html`, `/assets/index-abc.js`).
pub struct Dist {
    files: HashMap<String, Vec<u8>>,
}

/// The content type of a file by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => "application/octet-stream",
    }
}

impl Dist {
    /// Reads every file under `dir`. Errors: `dir` has no `index.html`, or a file cannot be read.
    pub fn load(dir: &Path) -> anyhow::Result<Dist> {
        let mut files = HashMap::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    todo.push(path);
                } else {
                    let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
                    files.insert(format!("/{rel}"), std::fs::read(&path)?);
                }
            }
        }
        anyhow::ensure!(files.contains_key("/index.html"), "{} has no index.html (npm run build)", dir.display());
        Ok(Dist { files })
    }

    /// The answer for `path`: its file, the app's `index.html` for an app route, or 404.
    pub fn serve(&self, path: &str) -> Response {
        let last = path.rsplit('/').next().unwrap_or_default();
        let key = if path == "/" || !last.contains('.') { "/index.html" } else { path };
        let Some(bytes) = self.files.get(key) else {
            return (StatusCode::NOT_FOUND, "Not Found").into_response();
        };
        let cache = if key.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        ([(header::CONTENT_TYPE, content_type(key)), (header::CACHE_CONTROL, cache)], bytes.clone()).into_response()
    }
}
