//! Free text as people type it: the invisible characters no field may hold. Bidirectional
//! overrides and isolates reorder what a reader sees (`Trojan Source`, CVE-2021-42574), and
//! zero-width spaces and stray byte-order marks make two names look equal that are not; in a
//! supplier's name, a product or a notice they mislead. Other format characters (the joiners
//! that emoji and some scripts need, the Arabic-script marks Uyghur text may carry) are allowed.

/// The characters refused in every free-text field.
pub const INVISIBLE: [(char, &str); 11] = [
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{2067}', "RIGHT-TO-LEFT ISOLATE"),
    ('\u{2068}', "FIRST STRONG ISOLATE"),
    ('\u{2069}', "POP DIRECTIONAL ISOLATE"),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE (byte-order mark)"),
];

pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The first refused character in `text`, if any.
pub fn invisible(text: &str) -> Option<char> {
    text.chars().find(|&c| is_invisible(c))
}

/// The problem of a text holding a refused character, if it does.
pub fn problem_in(text: &str) -> Option<String> {
    invisible(text).map(invisible_problem)
}

/// What is wrong with a text holding `c`, for the field's problem.
pub fn invisible_problem(c: char) -> String {
    let name = INVISIBLE
        .iter()
        .find(|(x, _)| *x == c)
        .map_or("an invisible character", |(_, n)| n);
    format!(
        "contains the invisible character U+{:04X} ({name}), which can make text read other than it is; remove it",
        c as u32
    )
}

/// Quick test over raw UTF-8 or JSON bytes: can they hold a refused character, written out or
/// as a `\uXXXX` escape? `false` means certainly not, so a full check can be skipped.
pub fn may_hold_invisible(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        match bytes[i] {
            0xE2 if i + 2 < n => {
                let (b1, b2) = (bytes[i + 1], bytes[i + 2]);
                if (b1 == 0x80 && (b2 == 0x8B || (0xAA..=0xAE).contains(&b2)))
                    || (b1 == 0x81 && (0xA6..=0xA9).contains(&b2))
                {
                    return true;
                }
            }
            0xEF if i + 2 < n && bytes[i + 1] == 0xBB && bytes[i + 2] == 0xBF => return true,
            b'\\' if i + 5 < n && bytes[i + 1] == b'u' => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 6]).ok();
                if hex
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                    .is_some_and(is_invisible)
                {
                    return true;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_character_is_refused_and_named() {
        for (c, name) in INVISIBLE {
            let text = format!("新疆{c}科技");
            assert_eq!(invisible(&text), Some(c));
            assert!(invisible_problem(c).contains(name));
            assert!(may_hold_invisible(text.as_bytes()), "{name} raw");
            let escaped = format!("\"a\\u{:04x}b\"", c as u32);
            assert!(may_hold_invisible(escaped.as_bytes()), "{name} escaped");
            let upper = format!("\"a\\u{:04X}b\"", c as u32);
            assert!(may_hold_invisible(upper.as_bytes()));
        }
    }

    #[test]
    fn ordinary_text_and_needed_format_characters_pass() {
        for text in [
            "新疆天山科技有限公司",
            "ئۈرۈمچى تېخنىكا \u{200F}",
            "👩\u{200D}💻",
            "a\u{200C}b",
            "\\u2028 is a JSON escape of another character",
            "“quotes” — dashes",
        ] {
            assert_eq!(invisible(text), None, "{text}");
        }
        assert!(!may_hold_invisible("\"\\u200c\\u2060\"".as_bytes()));
        assert!(!may_hold_invisible("新疆天山科技有限公司".as_bytes()));
    }
}
