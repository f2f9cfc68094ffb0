//! Writes the OpenAPI document to `openapi.json` at the repository root (or the path given).

fn main() -> std::io::Result<()> {
    let path =
        std::env::args().nth(1).unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json").into());
    std::fs::write(&path, odt_api_doc::document_json())?;
    eprintln!("wrote {path}");
    Ok(())
}
