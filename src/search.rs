//! Message search, the parts browser and server share: what a query is (parsed once, the
//! same way on both sides) and the excerpt a result shows, with its matches marked.
//!
//! A search finds messages that contain every term of the query as written, ignoring case,
//! anywhere in the text (inside words too, and in scripts written without spaces): `deploy`
//! finds "Deployed", `北京` finds "我们去北京大学". Terms are separated by white space;
//! double quotes keep a phrase together (`"lunch at noon"`). Punctuation is matched as
//! typed. The text searched is the message as written, Markdown included; the excerpt shows
//! it without the formatting (see [`crate::markup::plain_text`]).

use crate::validate::ValidationError;
use serde::{Deserialize, Serialize};

pub use crate::validate::{QUERY_MAX, TERMS_MAX};
/// Characters of a message shown around its first match.
pub const EXCERPT_CHARS: usize = 160;
/// How far before the first match the excerpt starts, in characters, when it must be cut.
const EXCERPT_LEAD: usize = 40;

/// A parsed query: 1-8 terms, each with at least one visible character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
}

impl SearchQuery {
    /// Splits `raw` into terms: runs of non-space characters, or what stands between double
    /// quotes (inner white space becomes one space; an unclosed quote runs to the end).
    /// Terms that repeat another, ignoring case, are dropped.
    ///
    /// Errors: nothing to search for ([`ValidationError::SearchEmpty`]), more than
    /// [`QUERY_MAX`] characters ([`ValidationError::SearchTooLong`]), more than
    /// [`TERMS_MAX`] terms ([`ValidationError::SearchTooManyTerms`]), or a control
    /// character other than white space ([`ValidationError::SearchControl`]).
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.chars().count() > QUERY_MAX || s.len() > QUERY_MAX * 4 {
            return Err(ValidationError::SearchTooLong);
        }
        if s.chars().any(|c| {
            !c.is_whitespace()
                && (c.is_control()
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        }) {
            return Err(ValidationError::SearchControl);
        }
        let mut terms: Vec<String> = Vec::new();
        let mut push = |term: String| {
            let folded = term.to_lowercase();
            if crate::text::has_visible(&term) && !terms.iter().any(|t| t.to_lowercase() == folded)
            {
                terms.push(term);
            }
        };
        let mut rest = s;
        while !rest.is_empty() {
            rest = rest.trim_start();
            if let Some(quoted) = rest.strip_prefix('"') {
                let (phrase, after) = quoted.split_once('"').unwrap_or((quoted, ""));
                push(phrase.split_whitespace().collect::<Vec<_>>().join(" "));
                rest = after;
            } else {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(rest.len());
                push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
        if terms.is_empty() {
            return Err(ValidationError::SearchEmpty);
        }
        if terms.len() > TERMS_MAX {
            return Err(ValidationError::SearchTooManyTerms);
        }
        Ok(Self { terms })
    }

    /// The terms as typed (case kept), in order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

/// A message's text as a search result shows it: one line of at most [`EXCERPT_CHARS`]
/// characters (plus "…" where it was cut) around the first match, and where the terms are in
/// it. `marks` are byte ranges of `text`, in order and not overlapping. The UI draws the
/// text as text and each mark as a `<mark>` around text: nothing here is markup.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Excerpt {
    pub text: String,
    #[serde(default)]
    pub marks: Vec<(u32, u32)>,
}

impl Excerpt {
    /// The excerpt of `body` for `terms`: the text without its formatting (blocks and line
    /// breaks become spaces), cut around the first match if it is too long, with every match
    /// of every term marked (ignoring case).
    pub fn new(body: &str, terms: &[String]) -> Self {
        let flat = crate::markup::plain_text(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let all = matches(&flat, terms);
        let chars = flat.chars().count();
        if chars <= EXCERPT_CHARS {
            return Self {
                marks: to_u32(&all),
                text: flat,
            };
        }
        // Byte offset of each character, and of the end.
        let offsets: Vec<usize> = flat
            .char_indices()
            .map(|(i, _)| i)
            .chain([flat.len()])
            .collect();
        let first = all.first().map_or(0, |&(start, _)| {
            offsets.partition_point(|&o| o < start) // the character it starts at
        });
        let mut start = first
            .saturating_sub(EXCERPT_LEAD)
            .min(chars - EXCERPT_CHARS);
        // Start at a word when one begins a little later (before the match).
        if start > 0 {
            if let Some(space) = flat[offsets[start]..offsets[first]]
                .char_indices()
                .find(|(_, c)| *c == ' ')
                .map(|(i, _)| i)
                .filter(|&i| i < 15)
            {
                start = offsets.partition_point(|&o| o <= offsets[start] + space);
            }
        }
        let end = (start + EXCERPT_CHARS).min(chars);
        let (from, to) = (offsets[start], offsets[end]);
        let lead = if start > 0 { "…" } else { "" };
        let tail = if end < chars { "…" } else { "" };
        let text = format!("{lead}{}{tail}", &flat[from..to]);
        let shift = lead.len();
        let marks: Vec<(usize, usize)> = all
            .into_iter()
            .filter(|&(s, e)| s >= from && e <= to)
            .map(|(s, e)| (s - from + shift, e - from + shift))
            .collect();
        Self {
            text,
            marks: to_u32(&marks),
        }
    }

    /// The text in runs, each marked or not, in order; together they are `text`. Marks that
    /// are out of order, overlap or do not fall on character boundaries are left unmarked
    /// rather than trusted.
    pub fn parts(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        let mut at = 0usize;
        for &(s, e) in &self.marks {
            let (s, e) = (s as usize, e as usize);
            if s < at || e <= s {
                continue;
            }
            let (Some(before), Some(marked)) = (self.text.get(at..s), self.text.get(s..e)) else {
                continue;
            };
            if !before.is_empty() {
                out.push((before, false));
            }
            out.push((marked, true));
            at = e;
        }
        if let Some(rest) = self.text.get(at..).filter(|r| !r.is_empty()) {
            out.push((rest, false));
        }
        out
    }
}

fn to_u32(ranges: &[(usize, usize)]) -> Vec<(u32, u32)> {
    ranges
        .iter()
        .filter_map(|&(s, e)| Some((u32::try_from(s).ok()?, u32::try_from(e).ok()?)))
        .collect()
}

/// Byte ranges of `text` where any of `terms` occurs, ignoring case, sorted and merged.
pub fn matches(text: &str, terms: &[String]) -> Vec<(usize, usize)> {
    // Each lower-cased character with the byte range of the character it came from.
    let folded: Vec<(char, usize, usize)> = text
        .char_indices()
        .flat_map(|(i, c)| {
            let end = i + c.len_utf8();
            c.to_lowercase().map(move |l| (l, i, end))
        })
        .collect();
    let mut found = Vec::new();
    for term in terms {
        let needle: Vec<char> = term.to_lowercase().chars().collect();
        if needle.is_empty() || needle.len() > folded.len() {
            continue;
        }
        let mut i = 0;
        while i + needle.len() <= folded.len() {
            let window = &folded[i..i + needle.len()];
            let starts_a_char = i == 0 || folded[i - 1].1 != window[0].1;
            if starts_a_char && window.iter().map(|w| w.0).eq(needle.iter().copied()) {
                found.push((window[0].1, window[needle.len() - 1].2));
                i += needle.len();
            } else {
                i += 1;
            }
        }
    }
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
    for (s, e) in found {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
