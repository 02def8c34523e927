//! Carousels written by a language model: the prompt, and a tolerant reading of the answer.
//! Models wrap JSON in code fences or chatter around it, so we read from the first `{` to
//! the last `}`; what is still not a usable list of slides is a generation error, never a
//! half-made carousel. Limits and numbering are enforced afterwards by `slides::finish`.

use serde::Deserialize;
use serde_json::json;

use super::input::Input;
use super::research::Finding;
use super::slides::{Draft, MAX_CONTENT_CHARS, MAX_TITLE_CHARS};
use crate::text::Prompt;

#[derive(Deserialize)]
struct Answer {
    slides: Vec<Draft>,
}

pub fn prompt(input: &Input, findings: &[Finding]) -> Prompt {
    let count = input.slide_count();
    let language = if input.is_french() {
        "French"
    } else {
        "English"
    };
    let facts = if findings.is_empty() {
        "State no statistic, study or fact that is not in the user's key points.".to_owned()
    } else {
        "Facts and figures may come only from the user's key points or from the numbered findings; \
         name the finding's source on the slide that uses it."
            .to_owned()
    };
    let system = format!(
        "You write LinkedIn carousels (PDF document posts) for B2B professionals. Write exactly {count} slides in {language}: \
         slide 1 is a hook that makes the audience swipe, the middle slides each make one concrete, actionable point, \
         the last slide is a call to action (follow, save, comment or a question). Each slide has a title of at most \
         {MAX_TITLE_CHARS} characters, content of at most {MAX_CONTENT_CHARS} characters, and a visual_prompt describing \
         a simple illustration without text. Tone: {tone}. {facts} Answer with JSON only, in this shape: \
         {{\"slides\":[{{\"title\":\"...\",\"content\":\"...\",\"visual_prompt\":\"...\"}}]}}",
        tone = input.tone.as_str(),
    );
    let user = json!({
        "topic": input.topic,
        "audience": input.audience,
        "slides": count,
        "key_points": input.key_points,
        "findings": findings.iter().enumerate().map(|(i, f)| json!({
            "n": i + 1, "title": f.title, "url": f.url, "snippet": f.snippet,
        })).collect::<Vec<_>>(),
    });
    Prompt {
        system,
        user: user.to_string(),
    }
}

/// Reads `count` slides from a model's answer. Extra slides in the middle are dropped (the
/// last one, the call to action, is kept); too few slides, or a slide without a title, is
/// an error.
pub fn parse(answer: &str, count: usize) -> Result<Vec<Draft>, String> {
    let text = answer.trim();
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .unwrap_or(text);
    let text = text.strip_suffix("```").unwrap_or(text);
    let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) else {
        return Err("the model's answer holds no JSON object".to_owned());
    };
    if end < start {
        return Err("the model's answer holds no JSON object".to_owned());
    }
    let parsed: Answer = serde_json::from_str(&text[start..=end])
        .map_err(|e| format!("the model's answer is not a list of slides: {e}"))?;
    let mut slides = parsed.slides;
    if slides.len() < count {
        return Err(format!(
            "the model wrote {} slides, {count} were asked for",
            slides.len()
        ));
    }
    if let Some(at) = slides.iter().position(|s| s.title.trim().is_empty()) {
        return Err(format!("slide {} has no title", at + 1));
    }
    if slides.len() > count {
        let last = slides.pop();
        slides.truncate(count - 1);
        slides.extend(last);
    }
    Ok(slides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(n: usize) -> String {
        let slides: Vec<_> = (1..=n)
            .map(|i| json!({"title": format!("T{i}"), "content": "c"}))
            .collect();
        json!({ "slides": slides }).to_string()
    }

    #[test]
    fn fenced_and_chatty_answers_are_read() {
        let fenced = format!("```json\n{}\n```", answer(7));
        assert_eq!(parse(&fenced, 7).map(|s| s.len()), Ok(7));
        let chatty = format!("Sure! Here it is:\n{}\nHope it helps.", answer(7));
        assert_eq!(parse(&chatty, 7).map(|s| s.len()), Ok(7));
    }

    #[test]
    fn extra_slides_are_dropped_before_the_last() {
        let slides = parse(&answer(9), 7).unwrap();
        let titles: Vec<&str> = slides.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["T1", "T2", "T3", "T4", "T5", "T6", "T9"]);
    }

    #[test]
    fn unusable_answers_are_errors() {
        assert!(parse("no json here", 7).is_err());
        assert!(parse("} backwards {", 7).is_err());
        assert!(parse(&answer(6), 7).is_err());
        assert!(parse(r#"{"slides": [{"title": 1}]}"#, 1).is_err());
        assert!(parse(r#"{"slides": [{"title": " ", "content": "x"}]}"#, 1).is_err());
    }
}
