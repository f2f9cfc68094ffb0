//! The file being built: `pdf-writer`'s buffer and the next free object id; content streams go in
//! Flate-compressed.

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::{Content, Filter, Pdf, Ref};

/// Flate level for the content streams (miniz_oxide: 0 none .. 10 best).
const FLATE_LEVEL: u8 = 6;

/// The PDF under construction and its object ids.
pub(super) struct Sink {
    pub(super) pdf: Pdf,
    next: Ref,
}

impl Sink {
    /// An empty file whose first object id is 1.
    pub(super) fn new() -> Self {
        Sink { pdf: Pdf::new(), next: Ref::new(1) }
    }

    /// A fresh object id.
    pub(super) fn id(&mut self) -> Ref {
        self.next.bump()
    }

    /// Writes `content` as a compressed stream; returns its id.
    pub(super) fn stream(&mut self, content: Content) -> Ref {
        let id = self.id();
        self.pdf.stream(id, &compress_to_vec_zlib(&content.finish(), FLATE_LEVEL)).filter(Filter::FlateDecode);
        id
    }
}
