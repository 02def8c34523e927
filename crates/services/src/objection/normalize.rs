//! Text normalisation shared by the pattern library and the classifier, so a phrase written
//! naturally in `patterns.json` ("don't need", "pas le budget") matches what a user typed with
//! any capitalisation, accents, apostrophes or punctuation. Also the cheap language guess
//! used when the input names no language.

use crate::cold_dm::Language;

/// Lowercases, folds accents (é→e, ç→c, œ→oe), turns apostrophes, hyphens and every other
/// non-alphanumeric character into a space, collapses spaces, and expands a few English
/// contractions typed without their apostrophe ("dont" → "don t") so both spellings match.
pub fn normalize(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => folded.push('a'),
            'ç' => folded.push('c'),
            'é' | 'è' | 'ê' | 'ë' => folded.push('e'),
            'î' | 'ï' | 'í' | 'ì' => folded.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => folded.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => folded.push('u'),
            'ÿ' => folded.push('y'),
            'ñ' => folded.push('n'),
            'œ' => folded.push_str("oe"),
            'æ' => folded.push_str("ae"),
            c if c.is_alphanumeric() => folded.push(c),
            _ => folded.push(' '),
        }
    }
    folded
        .split_whitespace()
        .map(|word| contraction(word).unwrap_or(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// English contractions commonly typed without an apostrophe, in their normalised form.
fn contraction(word: &str) -> Option<&'static str> {
    Some(match word {
        "dont" => "don t",
        "doesnt" => "doesn t",
        "didnt" => "didn t",
        "cant" => "can t",
        "wont" => "won t",
        "isnt" => "isn t",
        "arent" => "aren t",
        "wasnt" => "wasn t",
        "havent" => "haven t",
        "hasnt" => "hasn t",
        "wouldnt" => "wouldn t",
        "couldnt" => "couldn t",
        "shouldnt" => "shouldn t",
        "im" => "i m",
        "ive" => "i ve",
        "youre" => "you re",
        "theyre" => "they re",
        "thats" => "that s",
        "whats" => "what s",
        _ => return None,
    })
}

/// Words that are frequent in one language and rare in the other (normalised forms).
const FRENCH: &[&str] = &[
    "le", "la", "les", "des", "du", "un", "une", "est", "et", "pas", "ne", "nous", "vous", "on",
    "je", "c", "ce", "ca", "pour", "avec", "dans", "que", "qui", "mais", "trop", "tres", "deja",
    "notre", "nos", "votre", "vos", "moi", "mon", "ma", "mes", "sur", "au", "aux", "d", "l", "n",
    "qu", "j", "m", "s", "y", "en", "il", "faut", "sont", "avons", "fait", "plus", "rien",
];
const ENGLISH: &[&str] = &[
    "the", "a", "an", "is", "and", "not", "we", "you", "it", "i", "this", "that", "for", "with",
    "to", "of", "our", "your", "my", "me", "in", "on", "at", "t", "s", "re", "m", "ve", "ll", "do",
    "don", "have", "has", "are", "be", "can", "too", "already", "right", "now", "what", "how",
    "just", "would", "need", "about", "but", "so", "if", "no", "us",
];

/// Guesses English or French from stop words and accented letters; ties go to English.
pub fn detect_language(text: &str) -> Language {
    let accents = text
        .chars()
        .filter(|c| "àâçéèêëîïôûùüœ".contains(c.to_lowercase().next().unwrap_or(*c)))
        .count();
    let normalized = normalize(text);
    let (mut fr, mut en) = (accents, 0usize);
    for word in normalized.split(' ') {
        if FRENCH.contains(&word) {
            fr += 2;
        }
        if ENGLISH.contains(&word) {
            en += 2;
        }
    }
    if fr > en {
        Language::Fr
    } else {
        Language::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(
            normalize("C'est TROP cher, même hors-budget !"),
            "c est trop cher meme hors budget"
        );
        assert_eq!(normalize("We don’t need it…"), "we don t need it");
        assert_eq!(normalize("we dont need it"), "we don t need it");
        assert_eq!(normalize("  Cœur   d'équipe "), "coeur d equipe");
        assert_eq!(normalize("?!"), "");
    }

    #[test]
    fn detects_the_language() {
        assert_eq!(detect_language("It's too expensive for us."), Language::En);
        assert_eq!(
            detect_language("C'est beaucoup trop cher pour nous."),
            Language::Fr
        );
        assert_eq!(detect_language("Pas maintenant, merci."), Language::Fr);
        assert_eq!(detect_language("Not right now."), Language::En);
        assert_eq!(detect_language("Budget?"), Language::En);
        assert_eq!(detect_language("Déjà équipé."), Language::Fr);
    }
}
