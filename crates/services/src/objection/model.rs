//! The language-model path: a prompt that hands the model the class, framework and case
//! study decided by the deterministic core and asks only for the four written parts as JSON;
//! a tolerant parser for the answer; and a filter that streams the readable text of that JSON
//! while it arrives, so server-sent events carry prose rather than braces and quotes.

use serde::Deserialize;
use serde_json::json;

use super::cases::CaseStudy;
use super::classify::ObjectionType;
use super::{Input, Structure};
use crate::cold_dm::{Language, Tone};
use crate::text::Prompt;

pub(crate) fn prompt(
    input: &Input,
    language: Language,
    kind: ObjectionType,
    case: &CaseStudy,
) -> Prompt {
    let (language_name, case_text) = match language {
        Language::En => (
            "English",
            json!({"id": case.id, "title": case.title, "customer_profile": case.customer_profile,
                   "situation": case.situation, "result": case.result}),
        ),
        Language::Fr => (
            "French",
            json!({"id": case.id, "title": case.fr.title, "customer_profile": case.fr.customer_profile,
                   "situation": case.fr.situation, "result": case.fr.result}),
        ),
    };
    let tone = match input.tone {
        Tone::Professional => "professional",
        Tone::Friendly => "friendly",
        Tone::Direct => "direct",
    };
    let system = format!(
        "You help a B2B seller answer a prospect's sales objection. The objection has already been classified; do not reclassify it. \
         Write in {language_name}, in a {tone} tone, following the \"{framework}\" framework, in four parts: \
         empathy (acknowledge the concern in one or two sentences), reframe (shift the perspective as the framework suggests), \
         evidence (retell the case study given, introduced as an illustrative scenario; never present it as a named or real customer), \
         action (one concrete next step, ending with exactly one question). \
         Use only the facts given: invent no figures, percentages, prices, customer names or features. \
         Answer with a single JSON object with exactly the string keys \"empathy\", \"reframe\", \"evidence\", \"action\", in that order, and nothing else.",
        framework = kind.framework(),
    );
    let user = json!({
        "objection": input.objection,
        "objection_type": kind.as_str(),
        "framework": kind.framework(),
        "context": input.context,
        "case_study": case_text,
    });
    Prompt {
        system,
        user: user.to_string(),
    }
}

#[derive(Deserialize)]
struct Answer {
    empathy: String,
    reframe: String,
    evidence: String,
    action: String,
}

/// Reads the model's answer: code fences and chatter around the object are ignored, extra
/// keys too; the four parts must be present and non-empty.
pub(crate) fn parse(text: &str) -> Result<Structure, String> {
    let start = text.find('{');
    let end = text.rfind('}');
    let object = match (start, end) {
        (Some(start), Some(end)) if start < end => &text[start..=end],
        _ => return Err("the model's answer holds no JSON object".to_owned()),
    };
    let answer: Answer = serde_json::from_str(object)
        .map_err(|e| format!("the model's answer is not the expected JSON: {e}"))?;
    let parts = [
        ("empathy", answer.empathy),
        ("reframe", answer.reframe),
        ("evidence", answer.evidence),
        ("action", answer.action),
    ];
    let mut clean = Vec::with_capacity(4);
    for (name, part) in parts {
        let part = part.trim().to_owned();
        if part.is_empty() {
            return Err(format!("the model left the {name} part empty"));
        }
        clean.push(part);
    }
    let [empathy, reframe, evidence, action]: [String; 4] =
        clean.try_into().expect("four parts were pushed");
    Ok(Structure {
        empathy,
        reframe,
        evidence,
        action,
    })
}

/// Turns a streamed JSON object into the text of its top-level string values, separated by
/// blank lines: `{"a": "Hi \"you\"", "b": "Next"}` streams as `Hi "you"` then `\n\nNext`.
#[derive(Default)]
pub(crate) struct ValueText {
    depth: u32,
    done: bool,
    after_colon: bool,
    in_string: bool,
    is_value: bool,
    escaped: bool,
    unicode: Option<String>,
    high_surrogate: Option<u32>,
    values_seen: usize,
}

impl ValueText {
    /// Feeds the next piece of the model's answer; returns the text to pass on (maybe empty).
    pub(crate) fn push(&mut self, delta: &str) -> String {
        let mut out = String::new();
        for c in delta.chars() {
            if self.done {
                break;
            }
            if self.in_string {
                self.string_char(c, &mut out);
                continue;
            }
            match c {
                '{' | '[' => self.depth += 1,
                '}' | ']' if self.depth > 0 => {
                    self.depth -= 1;
                    self.done = self.depth == 0;
                }
                ':' => self.after_colon = true,
                ',' => self.after_colon = false,
                '"' if self.depth > 0 => {
                    self.in_string = true;
                    self.is_value = self.depth == 1 && self.after_colon;
                    if self.is_value && self.values_seen > 0 {
                        out.push_str("\n\n");
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn string_char(&mut self, c: char, out: &mut String) {
        if let Some(decoded) = self.decode(c) {
            if self.is_value {
                out.push(decoded);
            }
        }
    }

    /// The character a string's next input character stands for, if any yet.
    fn decode(&mut self, c: char) -> Option<char> {
        if let Some(hex) = &mut self.unicode {
            hex.push(c);
            if hex.len() < 4 {
                return None;
            }
            let code = u32::from_str_radix(hex, 16).unwrap_or(0xFFFD);
            self.unicode = None;
            return match (self.high_surrogate.take(), code) {
                (None, 0xD800..=0xDBFF) => {
                    self.high_surrogate = Some(code);
                    None
                }
                (Some(high), 0xDC00..=0xDFFF) => {
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))
                }
                (_, code) => Some(char::from_u32(code).unwrap_or('\u{FFFD}')),
            };
        }
        if self.escaped {
            self.escaped = false;
            return match c {
                'u' => {
                    self.unicode = Some(String::new());
                    None
                }
                'n' => Some('\n'),
                't' => Some('\t'),
                'r' | 'b' | 'f' => None,
                other => Some(other),
            };
        }
        match c {
            '\\' => {
                self.escaped = true;
                None
            }
            '"' => {
                self.in_string = false;
                if self.is_value {
                    self.values_seen += 1;
                    self.after_colon = false;
                }
                None
            }
            other => Some(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fenced_json_with_chatter_and_extra_keys() {
        let text = "Sure! Here it is:\n```json\n{\"empathy\": \" I hear you. \", \"reframe\": \"R\", \"evidence\": \"E\", \"action\": \"A?\", \"extra\": 1}\n```";
        let parts = parse(text).unwrap();
        assert_eq!(
            (
                parts.empathy.as_str(),
                parts.reframe.as_str(),
                parts.action.as_str()
            ),
            ("I hear you.", "R", "A?")
        );
    }

    #[test]
    fn rejects_garbage_missing_or_empty_parts() {
        assert!(parse("I cannot help with that.").is_err());
        assert!(parse("} nothing {").is_err());
        assert!(parse(r#"{"empathy": "a", "reframe": "b", "evidence": "c"}"#).is_err());
        assert!(
            parse(r#"{"empathy": "a", "reframe": " ", "evidence": "c", "action": "d"}"#).is_err()
        );
    }

    #[test]
    fn streams_only_the_values_whatever_the_chunking() {
        let answer = "```json\n{\"empathy\": \"Fair \\\"point\\\".\", \"reframe\": \"Caf\\u00e9 \\ud83d\\ude00\",\n \"evidence\": \"a\\nb\", \"action\": \"Go?\"}\n```";
        let expected = "Fair \"point\".\n\nCafé 😀\n\na\nb\n\nGo?";
        for size in [1, 2, 3, 7, 1000] {
            let chars: Vec<char> = answer.chars().collect();
            let mut filter = ValueText::default();
            let streamed: String = chars
                .chunks(size)
                .map(|chunk| filter.push(&chunk.iter().collect::<String>()))
                .collect();
            assert_eq!(streamed, expected, "chunks of {size}");
        }
    }
}
