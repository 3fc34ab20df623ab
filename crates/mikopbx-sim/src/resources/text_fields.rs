//! `TextFieldProcessor` (src/PBXCoreREST/Lib/Common/TextFieldProcessor.php) and the string
//! parts of `SearchIndexTrait` (src/PBXCoreREST/Lib/Common/SearchIndexTrait.php), written out
//! by hand: the PHP uses PCRE features (look-ahead, `\b` on bytes) the simulator has no regex
//! engine for. All matching is ASCII case-insensitive on bytes, as PCRE without `/u` does;
//! every cut falls on an ASCII byte, so UTF-8 stays intact.

const WS: &[u8] = b" \t\n\x0b\x0c\r";

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn starts_ci(hay: &[u8], at: usize, needle: &[u8]) -> bool {
    hay.get(at..at + needle.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(needle))
}

fn find_ci(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    (from..hay.len()).find(|&i| starts_ci(hay, i, needle))
}

/// Apply `find` (a match `start..end` at or after a position) like `preg_replace` with an
/// empty replacement: every non-overlapping match, scanning on after each.
fn remove_all(text: &str, find: impl Fn(&[u8], usize) -> Option<(usize, usize)>) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut pos = 0;
    while let Some((start, end)) = find(&bytes, pos) {
        bytes.drain(start..end);
        pos = start;
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// `<tag\b[^<]*(?:(?!</tag>)<[^<]*)*</tag>`: from `<tag` to the first `</tag>` after it.
fn paired_tag(tag: &str) -> impl Fn(&[u8], usize) -> Option<(usize, usize)> + '_ {
    move |b, from| {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut i = from;
        while let Some(s) = find_ci(b, open.as_bytes(), i) {
            let after = s + open.len();
            if b.get(after).is_none_or(|&c| !is_word(c)) {
                return find_ci(b, close.as_bytes(), after).map(|c| (s, c + close.len()));
            }
            i = s + 1;
        }
        None
    }
}

/// `<tag\b[^>]*\/>`.
fn self_closing_tag(tag: &str) -> impl Fn(&[u8], usize) -> Option<(usize, usize)> + '_ {
    move |b, from| {
        let open = format!("<{tag}");
        let mut i = from;
        while let Some(s) = find_ci(b, open.as_bytes(), i) {
            let after = s + open.len();
            if b.get(after).is_none_or(|&c| !is_word(c))
                && let Some(gt) = (after..b.len()).find(|&k| b[k] == b'>')
                && gt > after
                && b[gt - 1] == b'/'
            {
                return Some((s, gt + 1));
            }
            i = s + 1;
        }
        None
    }
}

/// `<needle>[^"']*["']?` (`javascript:` etc.): the match runs to the next quote, inclusive.
fn up_to_quote(needle: &str) -> impl Fn(&[u8], usize) -> Option<(usize, usize)> + '_ {
    move |b, from| {
        let s = find_ci(b, needle.as_bytes(), from)?;
        let after = s + needle.len();
        let end = (after..b.len())
            .find(|&k| b[k] == b'"' || b[k] == b'\'')
            .map_or(b.len(), |q| q + 1);
        Some((s, end))
    }
}

/// `\s*on\w+\s*=\s*[^>]*`: an event handler (note it also eats `phone=1` from "phone").
fn event_handler(b: &[u8], from: usize) -> Option<(usize, usize)> {
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(|c| WS.contains(c)) {
            i += 1;
        }
        i
    };
    (from..b.len()).find_map(|p| {
        let mut i = skip_ws(p);
        if !starts_ci(b, i, b"on") {
            return None;
        }
        i += 2;
        let word = i;
        while b.get(i).is_some_and(|&c| is_word(c)) {
            i += 1;
        }
        if i == word {
            return None;
        }
        i = skip_ws(i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        let end = (i + 1..b.len()).find(|&k| b[k] == b'>').unwrap_or(b.len());
        Some((p, end))
    })
}

/// `<\/?form[^>]*>`.
fn form_tag(b: &[u8], from: usize) -> Option<(usize, usize)> {
    (from..b.len()).find_map(|s| {
        if b[s] != b'<' {
            return None;
        }
        let name = if b.get(s + 1) == Some(&b'/') {
            s + 2
        } else {
            s + 1
        };
        if !starts_ci(b, name, b"form") {
            return None;
        }
        (name + 4..b.len())
            .find(|&k| b[k] == b'>')
            .map(|gt| (s, gt + 1))
    })
}

/// `TextFieldProcessor::sanitizeForStorage()`: trim, drop NUL bytes, dangerous tags with their
/// content, `javascript:` / `vbscript:` / `data:text/html` URLs, `on…=` handlers, form tags.
pub(crate) fn sanitize_for_storage(text: &str) -> String {
    let mut t = text
        .trim_matches([' ', '\t', '\n', '\r', '\0', '\u{0b}'])
        .replace('\0', "");
    for tag in [
        "script", "iframe", "object", "embed", "applet", "meta", "link", "style",
    ] {
        t = remove_all(&t, paired_tag(tag));
        t = remove_all(&t, self_closing_tag(tag));
    }
    for proto in ["javascript:", "vbscript:", "data:text/html"] {
        t = remove_all(&t, up_to_quote(proto));
    }
    t = remove_all(&t, event_handler);
    remove_all(&t, form_tag)
}

/// `\bfirst\b.*\bsecond\b` on one line (`.` does not cross `\n`).
fn words_in_order(text: &str, first: &str, second: &str) -> bool {
    let word_at = |b: &[u8], w: &str, from: usize| -> Option<usize> {
        let mut i = from;
        while let Some(s) = find_ci(b, w.as_bytes(), i) {
            let e = s + w.len();
            if (s == 0 || !is_word(b[s - 1])) && b.get(e).is_none_or(|&c| !is_word(c)) {
                return Some(e);
            }
            i = s + 1;
        }
        None
    };
    text.split('\n').any(|line| {
        let b = line.as_bytes();
        word_at(b, first, 0).is_some_and(|e| word_at(b, second, e).is_some())
    })
}

/// `TextFieldProcessor::containsDangerousContent()` reduced to "is anything detected".
pub(crate) fn is_dangerous(text: &str) -> bool {
    let b = text.as_bytes();
    paired_tag("script")(b, 0).is_some()
        || paired_tag("iframe")(b, 0).is_some()
        || find_ci(b, b"javascript:", 0).is_some()
        || find_ci(b, b"vbscript:", 0).is_some()
        || find_ci(b, b"data:text/html", 0).is_some()
        || find_ci(b, b"data:text/javascript", 0).is_some()
        || event_handler(b, 0).is_some()
        || find_ci(b, b"<?php", 0).is_some()
        || text.contains("<?=")
        || (0..b.len())
            .any(|i| b[i..].starts_with(b"<!--#") && b.get(i + 5).is_some_and(|&c| is_word(c)))
        || words_in_order(text, "union", "select")
        || words_in_order(text, "delete", "from")
        || words_in_order(text, "insert", "into")
        || words_in_order(text, "update", "set")
}

/// Every `<digits>` in `s`, as the digits.
fn bracketed_numbers(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' {
            let d = i + 1;
            let mut j = d;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j > d && b.get(j) == Some(&b'>') {
                out.push(&s[d..j]);
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `n <n>` for every `<n>` in `s` (the extra parts `SearchIndexTrait` adds).
pub(crate) fn number_parts(s: &str) -> Vec<String> {
    bracketed_numbers(s)
        .into_iter()
        .flat_map(|n| [n.to_string(), format!("<{n}>")])
        .collect()
}

/// `SearchIndexTrait::valueToSearchString()` for a string.
pub(crate) fn search_string(v: &str) -> String {
    let mut s = super::php::html_entity_decode(&super::php::strip_tags(v));
    let extra = number_parts(&s);
    if !extra.is_empty() {
        s.push(' ');
        s.push_str(&extra.join(" "));
    }
    s
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_ws = false;
    for c in s.chars() {
        if c.is_ascii() && WS.contains(&(c as u8)) {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    out
}

/// `SearchIndexTrait::normalizeSearchIndex()`.
pub(crate) fn normalize_search_index(text: &str) -> String {
    let t = collapse_ws(&text.to_lowercase());
    let t: String = t
        .chars()
        .map(|c| {
            if ".,;:!?'\"()[]{}".contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    // `<(\d+)>` → ` <$1> `, then a `<` before a non-digit and a `>` after a non-digit get spaces.
    let b: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len() + 8);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '<' {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1 && b.get(j) == Some(&'>') {
                out.push_str(" <");
                out.extend(&b[i + 1..j]);
                out.push_str("> ");
                i = j + 1;
                continue;
            }
            if b.get(i + 1).is_some_and(char::is_ascii_digit) {
                out.push('<');
            } else {
                out.push_str(" < ");
            }
        } else if c == '>' && (i == 0 || !b[i - 1].is_ascii_digit()) {
            out.push_str(" > ");
        } else {
            out.push(c);
        }
        i += 1;
    }
    collapse_ws(&out)
        .trim_matches([' ', '\t', '\n', '\r', '\0', '\u{0b}'])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_sanitising() {
        assert_eq!(
            sanitize_for_storage(" Sales<script>alert(1)</script> team "),
            "Sales team"
        );
        assert_eq!(sanitize_for_storage("a<META x/>b"), "ab");
        assert_eq!(sanitize_for_storage("x javascript:alert(1)' y"), "x  y");
        assert_eq!(sanitize_for_storage("<b onclick=x>hi</b>"), "<b>hi</b>");
        assert_eq!(sanitize_for_storage("phone=1"), "ph");
        assert_eq!(sanitize_for_storage("<formula>x</form>"), "x");
        assert_eq!(sanitize_for_storage("Plain Queue №1"), "Plain Queue №1");
    }

    #[test]
    fn dangerous_content() {
        assert!(is_dangerous("Please delete it from the list"));
        assert!(is_dangerous("x <?php echo 1;"));
        assert!(is_dangerous("<!--#exec"));
        assert!(!is_dangerous("update settings"));
        assert!(!is_dangerous("delete\nfrom"));
        assert!(!is_dangerous("Sales & support"));
    }

    #[test]
    fn search_index_normalising() {
        assert_eq!(
            normalize_search_index("Sales  2001  Alexey Ivanov  201 <201>"),
            "sales 2001 alexey ivanov 201 <201>"
        );
        assert_eq!(normalize_search_index("a<b> (c)"), "a < b > c");
        assert_eq!(search_string("R&amp;D"), "R&D");
        assert_eq!(
            number_parts("x <12> <a> <3>"),
            vec!["12", "<12>", "3", "<3>"]
        );
    }
}
