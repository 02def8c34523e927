//! One second chance for a model's unusable answer. When the answer does not parse or breaks
//! the service's limits, the model is asked once more, told what was wrong and shown what it
//! wrote; a second failure is a generation failure (502, quota not spent). Every service that
//! reads structured output from a model goes through here, so the rule is the same for all.

use crate::text::{Generator, Prompt};
use crate::RunError;

/// How much of the bad answer is quoted back to the model.
const QUOTED_CHARS: usize = 4_000;

/// `answer` parsed, or the parse of one repaired answer.
pub async fn parsed_or_repaired<T>(
    generator: &dyn Generator,
    prompt: &Prompt,
    answer: String,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, RunError> {
    let problem = match parse(&answer) {
        Ok(value) => return Ok(value),
        Err(problem) => problem,
    };
    tracing::info!(%problem, "the model's answer was unusable; asking once more");
    let second = generator
        .complete(&repair_prompt(prompt, &answer, &problem))
        .await
        .map_err(|e| RunError::Generation(e.to_string()))?;
    parse(&second).map_err(|problem| {
        RunError::Generation(format!("the model's answer was unusable twice: {problem}"))
    })
}

/// The original request, followed by what went wrong with the first answer.
pub fn repair_prompt(prompt: &Prompt, answer: &str, problem: &str) -> Prompt {
    let quoted: String = answer.chars().take(QUOTED_CHARS).collect();
    Prompt {
        system: prompt.system.clone(),
        user: format!(
            "{}\n\nYour previous answer could not be used: {problem}.\n\
             Your previous answer was:\n<<<\n{quoted}\n>>>\n\
             Answer again, following the instructions exactly, with nothing else.",
            prompt.user
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::text::GenerateError;

    /// Answers from a script and remembers the prompts.
    struct Scripted {
        answers: Mutex<Vec<&'static str>>,
        prompts: Mutex<Vec<Prompt>>,
    }

    #[async_trait]
    impl Generator for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            "scripted"
        }
        fn is_offline(&self) -> bool {
            false
        }
        async fn complete(&self, prompt: &Prompt) -> Result<String, GenerateError> {
            self.prompts.lock().unwrap().push(prompt.clone());
            Ok(self.answers.lock().unwrap().remove(0).to_owned())
        }
    }

    fn number(text: &str) -> Result<u32, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))
    }

    fn prompt() -> Prompt {
        Prompt {
            system: "You answer with a number.".into(),
            user: "How many?".into(),
        }
    }

    #[tokio::test]
    async fn a_good_first_answer_needs_no_second_call() {
        let model = Scripted {
            answers: Mutex::new(vec![]),
            prompts: Mutex::default(),
        };
        let value = parsed_or_repaired(&model, &prompt(), "7".into(), number)
            .await
            .unwrap();
        assert_eq!(value, 7);
        assert!(model.prompts.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_bad_answer_is_repaired_once_with_the_reason_quoted() {
        let model = Scripted {
            answers: Mutex::new(vec!["12"]),
            prompts: Mutex::default(),
        };
        let value = parsed_or_repaired(&model, &prompt(), "twelve".into(), number)
            .await
            .unwrap();
        assert_eq!(value, 12);
        let prompts = model.prompts.lock().unwrap();
        assert_eq!(prompts.len(), 1);
        assert_eq!(prompts[0].system, "You answer with a number.");
        assert!(prompts[0].user.starts_with("How many?"));
        assert!(prompts[0].user.contains("\"twelve\" is not a number"));
        assert!(prompts[0].user.contains("<<<\ntwelve\n>>>"));
    }

    #[tokio::test]
    async fn two_bad_answers_are_a_generation_failure() {
        let model = Scripted {
            answers: Mutex::new(vec!["still no"]),
            prompts: Mutex::default(),
        };
        let err = parsed_or_repaired(&model, &prompt(), "no".into(), number)
            .await
            .unwrap_err();
        assert!(matches!(err, RunError::Generation(m) if m.contains("unusable twice")));
        assert_eq!(
            model.prompts.lock().unwrap().len(),
            1,
            "one repair, not more"
        );
    }
}
