//! The offline draft: a 100–150-word message assembled from the user's own input, and from
//! enrichment facts when a provider found some. Sentences are added from a list of optional
//! ones until the message is long enough, and dropped from the end of that list if it runs
//! long, so the length criterion holds for any valid input.

use super::facts::Known;
use super::{Input, Language, Tone};
use crate::cold_dm::score::words;

/// Words that carry no topic, skipped when picking what a post is about.
const STOP: &[&str] = &[
    "the", "and", "for", "with", "that", "this", "from", "your", "our", "their", "have", "has",
    "was", "were", "are", "you", "about", "into", "they", "them", "will", "would", "just", "than",
    "then", "what", "when", "where", "which", "les", "des", "une", "pour", "avec", "dans", "nous",
    "vous", "sont", "est", "qui", "que", "sur", "par", "plus",
];

/// Distinctive words of the pasted posts (longest first), used to refer to them.
pub fn post_terms(posts: &[String]) -> Vec<String> {
    let mut terms: Vec<String> = posts
        .iter()
        .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 6 && !STOP.contains(&w.as_str()))
        .collect();
    terms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    terms.dedup();
    terms.truncate(5);
    terms
}

fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = words.iter().take(n).copied().collect::<Vec<_>>().join(" ");
    if words.len() > n {
        out.push('…');
    }
    out.trim_end_matches(['.', ',', ';', ':']).to_owned()
}

/// What people in a role commonly wrestle with, for the bridge sentence.
fn role_pain(role: &str, fr: bool) -> &'static str {
    let r = role.to_lowercase();
    let pick = |en: &'static str, french: &'static str| if fr { french } else { en };
    if r.contains("sales")
        || r.contains("vente")
        || r.contains("account")
        || r.contains("business development")
    {
        pick(
            "spend hours researching prospects before every first message",
            "passent des heures à préparer chaque premier message",
        )
    } else if r.contains("market") {
        pick(
            "need more campaigns and content than the team has hours for",
            "ont besoin de plus de contenu que l'équipe n'a de temps",
        )
    } else if r.contains("founder")
        || r.contains("ceo")
        || r.contains("fondat")
        || r.contains("owner")
    {
        pick(
            "end up doing outreach themselves between everything else",
            "finissent par prospecter eux-mêmes entre deux urgences",
        )
    } else if r.contains("cto") || r.contains("engineer") || r.contains("product") {
        pick(
            "get pulled into go-to-market work that is not their core job",
            "sont happés par des sujets commerciaux hors de leur cœur de métier",
        )
    } else {
        pick(
            "look for ways to get more done with the same team",
            "cherchent à faire plus avec la même équipe",
        )
    }
}

/// The message, and the enrichment facts it mentions (as `context_used` names them).
pub fn draft(input: &Input, known: Option<&Known>) -> (String, Vec<&'static str>) {
    let mut used = Vec::new();
    let fr = input.language == Language::Fr;
    let first = input
        .prospect_name
        .split_whitespace()
        .next()
        .unwrap_or(&input.prospect_name);
    let (company, role) = (&input.company, &input.role);
    let offer = first_words(&input.offer, 35);
    let greeting = match (fr, input.tone) {
        (false, Tone::Friendly) => format!("Hi {first},"),
        (false, _) => format!("Hello {first},"),
        (true, Tone::Friendly) => format!("Salut {first},"),
        (true, _) => format!("Bonjour {first},"),
    };
    let headline = known.and_then(|k| k.headline.as_deref());
    let opener = match (input.recent_posts.first(), headline, fr) {
        (Some(post), _, false) => format!("Your recent post — \"{}\" — stayed with me, and it says a lot about how {company} works.", first_words(post, 14)),
        (Some(post), _, true) => format!("Votre récent post — « {} » — m'a marqué, et il en dit long sur la façon dont {company} travaille.", first_words(post, 14)),
        (None, Some(headline), fr) => {
            used.push("headline");
            let headline = first_words(headline, 14);
            if fr {
                format!("Votre titre de profil — « {headline} » — a retenu mon attention, et il en dit long sur la façon dont {company} travaille.")
            } else {
                format!("Your headline — \"{headline}\" — caught my eye, and it says a lot about how {company} works.")
            }
        }
        (None, None, false) => format!("I have been following {company}, and your work as {role} stood out."),
        (None, None, true) => format!("Je suis {company} depuis un moment, et votre travail de {role} m'a interpellé."),
    };
    let company_line = known.and_then(|k| company_line(k, company, fr));
    if let Some(known) = known.filter(|_| company_line.is_some()) {
        used.extend(
            known
                .labels()
                .into_iter()
                .filter(|l| matches!(*l, "company_industry" | "company_size")),
        );
    }
    let bridge = if fr {
        format!(
            "Beaucoup de personnes au poste de {role} {}.",
            role_pain(role, true)
        )
    } else {
        format!("Many people in a {role} seat {}.", role_pain(role, false))
    };
    let offer_line = if fr {
        format!("Ce que nous faisons : {offer}.")
    } else {
        format!("What we do: {offer}.")
    };
    let optional: Vec<String> = if fr {
        vec![
            format!("Je pense que cela pourrait faire gagner du temps à l'équipe de {company} dès les premières semaines."),
            "Pas de gros projet d'intégration : on commence petit et on mesure le résultat ensemble.".to_owned(),
            format!("Si ce n'est pas le bon moment ou la bonne personne chez {company}, dites-le-moi simplement et je n'insisterai pas."),
            "Je peux aussi vous envoyer un exemple concret adapté à votre contexte, pour que vous jugiez sur pièce.".to_owned(),
            "Plusieurs équipes de taille comparable l'utilisent déjà au quotidien pour leurs premiers messages.".to_owned(),
        ]
    } else {
        vec![
            format!("I think it could save the {company} team real hours in the first few weeks."),
            "There is no heavy rollout: we start small and measure the result together.".to_owned(),
            format!("If the timing is wrong or someone else at {company} owns this, just say so and I will not chase."),
            "I can also send a concrete example built around your context, so you can judge it on its merits.".to_owned(),
            "Teams of a similar size already use it every day for their first messages.".to_owned(),
        ]
    };
    let ask = match (fr, input.tone) {
        (false, Tone::Direct) => format!("Would it be worth 15 minutes next week to see if this fits {company}?"),
        (false, _) => format!("Would you be open to a 15-minute call next week to see if this fits {company}?"),
        (true, _) => format!("Seriez-vous ouvert(e) à un échange de 15 minutes la semaine prochaine pour voir si cela convient à {company} ?"),
    };
    let sign_off = if fr { "Bien à vous" } else { "Best regards" };
    let assemble = |extra: &[String]| {
        let mut body = vec![opener.clone(), bridge.clone()];
        body.extend(company_line.clone());
        body.push(offer_line.clone());
        body.extend(extra.iter().cloned());
        format!("{greeting}\n\n{}\n\n{ask}\n\n{sign_off}", body.join(" "))
    };
    let mut extra = 0;
    let mut message = assemble(&[]);
    while words(&message) < 100 && extra < optional.len() {
        extra += 1;
        message = assemble(&optional[..extra]);
    }
    if words(&message) > 150 && extra > 0 {
        extra -= 1;
        message = assemble(&optional[..extra]);
    }
    (message, used)
}

/// One sentence on the company's industry and size, when the provider knew either.
fn company_line(known: &Known, company: &str, fr: bool) -> Option<String> {
    let industry = known.industry.as_deref();
    Some(match (known.employees, industry, fr) {
        (Some(n), Some(industry), false) => format!("With around {n} people in {industry}, {company} is at the size where every first conversation counts."),
        (Some(n), Some(industry), true) => format!("Avec environ {n} personnes ({industry}), {company} en est au stade où chaque premier échange compte."),
        (Some(n), None, false) => format!("At around {n} people, {company} is at the size where every first conversation counts."),
        (Some(n), None, true) => format!("Avec environ {n} personnes, {company} en est au stade où chaque premier échange compte."),
        (None, Some(industry), false) => format!("In {industry}, the first conversation with a buyer counts for a lot."),
        (None, Some(industry), true) => format!("Dans votre secteur ({industry}), le premier échange avec un acheteur compte beaucoup."),
        (None, None, _) => return None,
    })
}
