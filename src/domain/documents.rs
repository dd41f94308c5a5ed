//! Documents of bids (响应文件): their kinds, and the file types accepted, told by content (the
//! first bytes), never by the name or the declared type.

/// What a bid document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 技术文件: the technical proposal.
    Technical,
    /// 资格证明文件: qualification papers.
    Qualification,
    /// 开标一览表 / 报价表: the price schedule.
    PriceSchedule,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::Technical,
        DocumentKind::Qualification,
        DocumentKind::PriceSchedule,
        DocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Technical => "technical",
            DocumentKind::Qualification => "qualification",
            DocumentKind::PriceSchedule => "price_schedule",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a procurement document (采购文件, attached to a project by its agency) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcurementDocumentKind {
    /// 招标文件 / 采购文件: the tender documents.
    Tender,
    /// 采购需求: the requirements (technical and commercial).
    Requirements,
    /// Anything else: a contract draft, drawings, forms.
    Other,
}

impl ProcurementDocumentKind {
    pub const ALL: [ProcurementDocumentKind; 3] = [
        ProcurementDocumentKind::Tender,
        ProcurementDocumentKind::Requirements,
        ProcurementDocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProcurementDocumentKind::Tender => "tender",
            ProcurementDocumentKind::Requirements => "requirements",
            ProcurementDocumentKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How many leading bytes [`sniff`] needs at most.
pub const SNIFF_BYTES: usize = 4096;

/// The media type of a file from its first bytes: PDF, an OOXML or ODF document (ZIP
/// containers told apart by their first entry), another ZIP, JPEG or PNG. `None`: not one of
/// those.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(zip_kind(head));
    }
    None
}

/// A ZIP container's kind from its first local entry (ODF stores `mimetype` first, uncompressed;
/// OOXML has `[Content_Types].xml`, `_rels/` or the part folders).
fn zip_kind(head: &[u8]) -> &'static str {
    let name_len = head
        .get(26..28)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let extra_len = head
        .get(28..30)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let name = head.get(30..30 + name_len).unwrap_or_default();
    if name == b"mimetype" {
        let body = head.get(30 + name_len + extra_len..).unwrap_or_default();
        for (prefix, kind) in [
            (
                &b"application/vnd.oasis.opendocument.text"[..],
                "application/vnd.oasis.opendocument.text",
            ),
            (
                b"application/vnd.oasis.opendocument.spreadsheet",
                "application/vnd.oasis.opendocument.spreadsheet",
            ),
            (
                b"application/vnd.oasis.opendocument.presentation",
                "application/vnd.oasis.opendocument.presentation",
            ),
        ] {
            if body.starts_with(prefix) {
                return kind;
            }
        }
        return "application/zip";
    }
    let ooxml = name == b"[Content_Types].xml"
        || name.starts_with(b"_rels/")
        || name.starts_with(b"docProps/");
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if ooxml || name.starts_with(b"word/") || name.starts_with(b"xl/") || name.starts_with(b"ppt/")
    {
        if name.starts_with(b"word/") || contains(b"word/") {
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        }
        if name.starts_with(b"xl/") || contains(b"xl/") {
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        }
        if name.starts_with(b"ppt/") || contains(b"ppt/") {
            return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
        }
        return "application/vnd.openxmlformats-officedocument";
    }
    "application/zip"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with_first(name: &str, body: &[u8]) -> Vec<u8> {
        let mut z = b"PK\x03\x04".to_vec();
        z.extend_from_slice(&[0u8; 22]);
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(body);
        z
    }

    #[test]
    fn files_are_told_by_their_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(
            sniff(&zip_with_first(
                "mimetype",
                b"application/vnd.oasis.opendocument.text"
            )),
            Some("application/vnd.oasis.opendocument.text")
        );
        assert_eq!(
            sniff(&zip_with_first(
                "[Content_Types].xml",
                b"<Types>word/document.xml"
            )),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            sniff(&zip_with_first("a.txt", b"hello")),
            Some("application/zip")
        );
        // Not by name or claim: an executable, a script, text are refused.
        assert_eq!(sniff(b"MZ\x90\x00"), None);
        assert_eq!(sniff(b"#!/bin/sh"), None);
        assert_eq!(sniff(b"PDF-1.7"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocumentKind::parse("tender"), None);
    }
}
