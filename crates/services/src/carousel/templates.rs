//! The words of the offline carousel, in English and French. Templates hold placeholders —
//! `{Topic}` (sentence start), `{topic}` and `{audience}` (mid-sentence), `{k}` (number of
//! point slides), `{n}` (number of slides) — filled by `slides::fill`, which shortens long
//! values so every title and body stays within its limit. They state no facts or figures: a
//! carousel's claims come from the user's key points or from cited research, never from here.

use super::input::Tone;

/// A title template and a body template.
pub type Pair = (&'static str, &'static str);

pub fn hook(fr: bool, tone: Tone) -> Pair {
    match (fr, tone) {
        (false, Tone::Professional) => (
            "{Topic}: {k} lessons for {audience}",
            "A practical guide for {audience}. Each slide is one idea you can apply this week — swipe through.",
        ),
        (false, Tone::Friendly) => (
            "{k} things I wish I'd known about {topic}",
            "Here is what I would tell {audience} starting out with {topic}. Swipe through and keep what fits you.",
        ),
        (false, Tone::Bold) => (
            "Most {audience} get {topic} wrong",
            "Here are {k} fixes that actually move the needle. No fluff — swipe through.",
        ),
        (false, Tone::Educational) => (
            "{Topic}, explained in {n} slides",
            "A step-by-step guide for {audience}: why it matters, the {k} points that make the difference, and a recap to save.",
        ),
        (true, Tone::Professional) => (
            "{Topic} : {k} leçons pour {audience}",
            "Un guide pratique pour {audience}. Chaque slide est une idée à appliquer dès cette semaine — faites défiler.",
        ),
        (true, Tone::Friendly) => (
            "Ce que j'aurais aimé savoir sur {topic}",
            "Pour {audience} : voici ce que j'aurais aimé entendre en me lançant. Faites défiler et gardez ce qui vous parle.",
        ),
        (true, Tone::Bold) => (
            "{Topic} : les erreurs qui coûtent cher",
            "{k} corrections qui font vraiment la différence pour {audience}. Sans blabla — faites défiler.",
        ),
        (true, Tone::Educational) => (
            "{Topic} : le guide en {n} slides",
            "Un guide pas à pas pour {audience} : pourquoi c'est important, les {k} points qui font la différence, et un récapitulatif à garder.",
        ),
    }
}

pub fn problem(fr: bool) -> Pair {
    if fr {
        (
            "{Topic} : pourquoi c'est important",
            "Pour {audience}, « {topic} » passe souvent après le reste. Sans méthode simple, l'effort se disperse et les résultats sont difficiles à reproduire. Les {k} slides suivantes vous donnent cette méthode.",
        )
    } else {
        (
            "Why {topic} matters",
            "For {audience}, {topic} competes with everything else on the list. Without a simple system, effort gets spread thin and results are hard to repeat. The next {k} slides give you that system.",
        )
    }
}

/// One "mistake → fix" slide: its title, its body, and the takeaway the recap lists.
pub type Step = (&'static str, &'static str, &'static str);

/// "Mistake → fix" slides, used when the user gave fewer key points than there are point
/// slides. Eight of them: enough for the longest carousel (12 slides, 8 points).
pub fn framework(fr: bool) -> &'static [Step; 8] {
    if fr {
        &FRAMEWORK_FR
    } else {
        &FRAMEWORK_EN
    }
}

const FRAMEWORK_EN: [Step; 8] = [
    ("Mistake: starting without a clear goal", "Fix: before you work on {topic}, write down the one result you want and how you will know you got it.", "Start with one clear goal"),
    ("Mistake: doing everything at once", "Fix: pick the part of {topic} that matters most to {audience}, get it right for two weeks, then add the next.", "One thing at a time"),
    ("Mistake: copying someone else's playbook", "Fix: borrow the principle, not the script. Adapt it to what {audience} actually care about.", "Adapt, don't copy"),
    ("Mistake: no feedback loop", "Fix: every week, look at what worked and what did not. Small, regular adjustments beat a big yearly overhaul.", "Review every week"),
    ("Mistake: measuring activity, not outcomes", "Fix: track the result {topic} should produce, not just how busy it keeps you.", "Measure outcomes, not activity"),
    ("Mistake: keeping it all in your head", "Fix: turn what works into a short checklist the whole team can repeat.", "Write down what works"),
    ("Mistake: skipping the basics", "Fix: master the fundamentals before chasing advanced tactics. Most gains come from simple things done consistently.", "Master the basics first"),
    ("Mistake: giving up too early", "Fix: give each change enough time to show results before you judge it — weeks, not days.", "Give changes time to work"),
];

const FRAMEWORK_FR: [Step; 8] = [
    ("Erreur : se lancer sans objectif clair", "Correction : avant de travailler sur « {topic} », écrivez le résultat que vous visez et comment vous saurez que vous l'avez atteint.", "Fixer un objectif clair"),
    ("Erreur : tout faire en même temps", "Correction : choisissez la partie qui compte le plus pour {audience}, maîtrisez-la pendant deux semaines, puis passez à la suivante.", "Une chose à la fois"),
    ("Erreur : copier la méthode des autres", "Correction : empruntez le principe, pas le script. Adaptez-le à ce qui compte vraiment pour {audience}.", "Adapter, pas copier"),
    ("Erreur : aucune boucle de retour", "Correction : chaque semaine, regardez ce qui a marché et ce qui n'a pas marché. De petits ajustements réguliers valent mieux qu'une grande refonte annuelle.", "Faire le point chaque semaine"),
    ("Erreur : mesurer l'activité, pas les résultats", "Correction : suivez le résultat que « {topic} » doit produire, pas seulement le temps que vous y passez.", "Mesurer les résultats, pas l'activité"),
    ("Erreur : tout garder en tête", "Correction : transformez ce qui marche en une courte checklist que toute l'équipe peut reproduire.", "Écrire ce qui marche"),
    ("Erreur : négliger les bases", "Correction : maîtrisez les fondamentaux avant de chercher des tactiques avancées. L'essentiel des gains vient de choses simples faites régulièrement.", "Maîtriser les bases d'abord"),
    ("Erreur : abandonner trop tôt", "Correction : laissez à chaque changement le temps de produire ses effets avant de le juger — des semaines, pas des jours.", "Laisser le temps agir"),
];

/// What to do with a key point, for slides whose key point fits in the title.
pub fn action(fr: bool, index: usize) -> &'static str {
    const EN: [&str; 4] = [
        "Put it into practice: apply this to one real case this week and note what changes.",
        "Ask yourself: where would this make the biggest difference for {audience} right now?",
        "Make it a habit: add it to your checklist so it happens every time, not only when you remember.",
        "Start small: try it once, look at the result, then decide whether to roll it out.",
    ];
    const FR: [&str; 4] = [
        "Passez à l'action : appliquez-le à un cas concret cette semaine et notez ce qui change.",
        "Posez-vous la question : où cela ferait-il la plus grande différence pour {audience} aujourd'hui ?",
        "Faites-en une habitude : ajoutez-le à votre checklist pour qu'il ne dépende plus de votre mémoire.",
        "Commencez petit : testez une fois, regardez le résultat, puis décidez de le généraliser.",
    ];
    if fr {
        FR[index % FR.len()]
    } else {
        EN[index % EN.len()]
    }
}

/// The recap slide's title; its body lists the point titles.
pub fn recap(fr: bool) -> &'static str {
    if fr {
        "En résumé : {topic}"
    } else {
        "Recap: {topic}"
    }
}

/// The source line under a research finding.
pub fn source_label(fr: bool) -> &'static str {
    if fr {
        "Source :"
    } else {
        "Source:"
    }
}

pub fn call_to_action(fr: bool, tone: Tone) -> Pair {
    match (fr, tone) {
        (false, Tone::Professional) => (
            "Found this useful?",
            "Follow me for more on {topic}. Save this post for later and share it with {audience} who need it. Which point will you apply first?",
        ),
        (false, Tone::Friendly) => (
            "Thanks for reading!",
            "If this helped, follow for more on {topic} and pass it on to someone who needs it. Which slide hit home? Tell me in the comments.",
        ),
        (false, Tone::Bold) => (
            "Your move.",
            "Pick one point and act on it today. Follow for more no-nonsense takes on {topic}, and repost if {audience} in your network need this.",
        ),
        (false, Tone::Educational) => (
            "Keep learning",
            "Save this guide and come back to it when you work on {topic}. Follow for more step-by-step guides for {audience}. What should I explain next?",
        ),
        (true, Tone::Professional) => (
            "Cela vous a été utile ?",
            "Suivez-moi pour d'autres contenus sur « {topic} ». Enregistrez ce post pour plus tard et partagez-le à qui en a besoin. Quel point allez-vous appliquer en premier ?",
        ),
        (true, Tone::Friendly) => (
            "Merci d'avoir lu !",
            "Si cela vous a aidé, suivez-moi pour la suite sur « {topic} » et faites tourner. Quelle slide vous parle le plus ? Dites-le en commentaire.",
        ),
        (true, Tone::Bold) => (
            "À vous de jouer.",
            "Choisissez un point et appliquez-le aujourd'hui. Suivez-moi pour d'autres conseils sans détour sur « {topic} », et republiez si votre réseau en a besoin.",
        ),
        (true, Tone::Educational) => (
            "Continuez à apprendre",
            "Enregistrez ce guide et revenez-y quand vous travaillez sur « {topic} ». Suivez-moi pour d'autres guides pas à pas. Quel sujet dois-je expliquer ensuite ?",
        ),
    }
}
